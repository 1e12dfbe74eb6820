/**
 * Just enough of a DOM for the in-page prompt (src/content/ui.ts) to run under Node. `click()`
 * behaves like a page script's `element.click()` (an untrusted event); `userClick()` like a
 * person's click (a trusted one).
 */

type Listener = (event: { type: string; isTrusted: boolean }) => void;

export class FakeElement {
  id = '';
  className = '';
  textContent = '';
  disabled = false;
  readonly dataset: Record<string, string> = {};
  readonly attributes = new Map<string, string>();
  readonly children: FakeElement[] = [];
  parent: FakeElement | FakeShadowRoot | undefined;
  shadowRoot: FakeShadowRoot | null = null;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(readonly tagName: string) {}

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
    if (name === 'id') this.id = value;
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  append(...nodes: FakeElement[]): void {
    for (const n of nodes) {
      n.parent = this;
      this.children.push(n);
    }
  }
  remove(): void {
    const list = this.parent?.children;
    if (list) list.splice(list.indexOf(this), 1);
    this.parent = undefined;
  }
  attachShadow(_init: { mode: string }): FakeShadowRoot {
    this.shadowRoot = new FakeShadowRoot();
    return this.shadowRoot;
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  /** What `element.click()` from a page script does: an untrusted click. */
  click(): void {
    for (const l of this.listeners.get('click') ?? []) l({ type: 'click', isTrusted: false });
  }
  /** A person's click. */
  userClick(): void {
    for (const l of this.listeners.get('click') ?? []) l({ type: 'click', isTrusted: true });
  }
  *descendants(): Generator<FakeElement> {
    for (const c of this.children) {
      yield c;
      yield* c.descendants();
    }
  }
}

export class FakeShadowRoot {
  readonly children: FakeElement[] = [];
  append(...nodes: FakeElement[]): void {
    for (const n of nodes) {
      n.parent = this;
      this.children.push(n);
    }
  }
  private *all(): Generator<FakeElement> {
    for (const c of this.children) {
      yield c;
      yield* c.descendants();
    }
  }
  /** Supports `tag` and `[attr="value"]` selectors. */
  querySelectorAll(selector: string): FakeElement[] {
    const attr = /^\[([\w-]+)="([^"]*)"\]$/.exec(selector);
    return [...this.all()].filter((e) => (attr ? e.getAttribute(attr[1]!) === attr[2] : e.tagName === selector));
  }
  querySelector(selector: string): FakeElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

/** Installs a fake `document` on globalThis; returns it and a function that removes it. */
export function installFakeDocument(): { body: FakeElement; getElementById(id: string): FakeElement | null; uninstall(): void } {
  const body = new FakeElement('body');
  const doc = {
    body,
    documentElement: body,
    createElement: (tag: string) => new FakeElement(tag),
    getElementById: (id: string) => [...body.descendants()].find((e) => e.id === id) ?? null,
  };
  (globalThis as { document?: unknown }).document = doc;
  return { body, getElementById: doc.getElementById, uninstall: () => delete (globalThis as { document?: unknown }).document };
}
