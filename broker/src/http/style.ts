/**
 * The pages' stylesheet: one small sheet, system fonts, no framework.
 * @module
 */
export const CSS = `
:root { --ink:#1d2330; --muted:#5d6678; --line:#e3e6ec; --bg:#f6f7f9; --card:#fff; --brand:#2f5bea; --brand-ink:#fff;
  --ok:#1f8a4c; --warn:#b7791f; --bad:#c53030; --spent:#8a94a6; --radius:12px; }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
a { color:var(--brand); }
header.top { background:var(--card); border-bottom:1px solid var(--line); }
header.top .wrap { display:flex; align-items:center; gap:1.5rem; padding:.8rem 1.2rem; }
.brand { font-weight:700; font-size:1.15rem; color:var(--ink); text-decoration:none; }
.brand span { color:var(--brand); }
nav { display:flex; gap:1rem; align-items:center; margin-left:auto; flex-wrap:wrap; }
nav a { text-decoration:none; color:var(--muted); }
nav a:hover { color:var(--ink); }
nav form { margin:0; }
.wrap { max-width:1040px; margin:0 auto; padding:1.5rem 1.2rem; }
h1 { font-size:1.9rem; margin:.2rem 0 1rem; }
h2 { font-size:1.25rem; margin:0 0 .8rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:var(--radius); padding:1.2rem 1.4rem; margin-bottom:1.2rem; }
.grid { display:grid; gap:1.2rem; grid-template-columns:repeat(auto-fit,minmax(260px,1fr)); }
.tiles { display:grid; gap:1rem; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); margin-bottom:1.2rem; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:var(--radius); padding:1rem 1.2rem; }
.tile .n { font-size:1.9rem; font-weight:700; }
.tile .l { color:var(--muted); font-size:.9rem; }
.hero { display:grid; gap:1.2rem; grid-template-columns:2fr 1fr; align-items:start; }
.grid > *, .hero > *, .tiles > * { min-width:0; }
@media (max-width:760px) { .hero { grid-template-columns:1fr; } }
.balance { font-size:3.2rem; font-weight:800; letter-spacing:-.02em; line-height:1.1; }
.balance small { display:block; font-size:1.1rem; font-weight:500; color:var(--muted); letter-spacing:0; margin-top:.3rem; }
.muted { color:var(--muted); }
.pill { display:inline-block; padding:.1rem .6rem; border-radius:99px; font-size:.8rem; background:var(--line); }
.pill.ok { background:#dff3e7; color:var(--ok); } .pill.bad { background:#fde2e2; color:var(--bad); } .pill.warn { background:#fdf0d5; color:var(--warn); }
.sandbox { background:#fff6dd; border:1px dashed var(--warn); color:#7a4d00; border-radius:8px; padding:.5rem .8rem; font-weight:600; }
.bar { display:flex; height:22px; border-radius:99px; overflow:hidden; background:var(--line); margin:.6rem 0; }
.bar > span { display:block; height:100%; }
.bar .unspent { background:var(--brand); } .bar .spent { background:var(--spent); } .bar .returned { background:var(--ok); }
.legend { display:flex; gap:1rem; flex-wrap:wrap; font-size:.9rem; color:var(--muted); }
.legend i { display:inline-block; width:.8rem; height:.8rem; border-radius:3px; margin-right:.3rem; vertical-align:-1px; }
.legend .unspent { background:var(--brand); } .legend .spent { background:var(--spent); } .legend .returned { background:var(--ok); }
table { width:100%; border-collapse:collapse; font-size:.95rem; }
th, td { text-align:left; padding:.5rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:.85rem; text-transform:uppercase; letter-spacing:.03em; }
td.r, th.r { text-align:right; font-variant-numeric:tabular-nums; }
.pos { color:var(--ok); } .neg { color:var(--bad); }
form.stack { display:grid; gap:.7rem; max-width:420px; grid-template-columns:minmax(0,1fr); }
form.inline { display:flex; gap:.6rem; align-items:end; flex-wrap:wrap; }
label { display:grid; gap:.25rem; font-size:.9rem; color:var(--muted); grid-template-columns:minmax(0,1fr); }
input, select, textarea { font:inherit; padding:.55rem .7rem; border:1px solid #cfd4dd; border-radius:8px; background:#fff; color:var(--ink);
  min-width:0; max-width:100%; }
select { text-overflow:ellipsis; }
textarea { min-height:5rem; }
button, .button { font:inherit; font-weight:600; padding:.55rem 1.1rem; border-radius:8px; border:1px solid var(--brand); background:var(--brand);
  color:var(--brand-ink); cursor:pointer; text-decoration:none; display:inline-block; }
button.secondary, .button.secondary { background:#fff; color:var(--brand); }
button.link { background:none; border:none; color:var(--muted); padding:0; font-weight:400; }
.notice { padding:.8rem 1rem; border-radius:8px; margin-bottom:1rem; }
.notice.ok { background:#dff3e7; color:#14532d; } .notice.bad { background:#fde2e2; color:#7f1d1d; } .notice.info { background:#e5ecff; color:#1e3a8a; }
.secret { font-family:ui-monospace,Menlo,Consolas,monospace; background:#111827; color:#f9fafb; padding:.8rem 1rem; border-radius:8px; word-break:break-all; }
code, .mono { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:.9em; }
.micromint-status { font-weight:600; padding:.6rem .9rem; border-radius:8px; background:#e5ecff; color:#1e3a8a; }
.micromint-status[data-state="stored"] { background:#dff3e7; color:#14532d; }
.micromint-status[data-state="error"] { background:#fde2e2; color:#7f1d1d; }
.steps { counter-reset:step; list-style:none; padding:0; display:grid; gap:.8rem; }
.steps li { counter-increment:step; padding-left:2.4rem; position:relative; }
.steps li::before { content:counter(step); position:absolute; left:0; top:0; width:1.7rem; height:1.7rem; border-radius:50%;
  background:var(--brand); color:#fff; display:grid; place-items:center; font-weight:700; font-size:.9rem; }
figure { margin:0; }
details.tech { margin-top:.9rem; border-top:1px solid var(--line); padding-top:.6rem; }
details summary { cursor:pointer; color:var(--muted); font-size:.9rem; }
details[open] summary { margin-bottom:.5rem; }
.sr-only { position:absolute; width:1px; height:1px; margin:-1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; border:0; }
.title-row { display:flex; justify-content:space-between; align-items:center; gap:1rem; flex-wrap:wrap; margin-bottom:1rem; }
.title-row h1 { margin:0; }
.title-row form { margin:0; }
.chart svg { display:block; width:100%; height:auto; }
.chart text { font-size:11px; fill:var(--muted); }
.chart .grid line { stroke:var(--line); }
.chart .grid line.axis { stroke:#c3c9d4; }
.chart .day:hover rect { opacity:.8; }
.chart text.empty { font-size:14px; }
.chart figcaption { margin-top:.4rem; }
.legend .coins { background:#2f5bea; } .legend .chains { background:#14a3a3; }
.chart-table { margin-top:.8rem; }
td.url { max-width:0; width:55%; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.pager { display:flex; justify-content:space-between; align-items:center; gap:1rem; margin-top:.8rem; font-size:.95rem; }
.apikey { display:flex; gap:.6rem; align-items:center; flex-wrap:wrap; }
.apikey code { font-size:.95rem; background:#111827; color:#f9fafb; padding:.5rem .8rem; border-radius:8px; word-break:break-all; }
.apikey .full, .apikey .hide-label { display:none; }
.apikey .reveal:checked ~ .masked, .apikey .reveal:checked ~ label .show-label { display:none; }
.apikey .reveal:checked ~ .full, .apikey .reveal:checked ~ label .hide-label { display:inline; }
.apikey .reveal:focus-visible ~ label { outline:2px solid var(--brand); outline-offset:2px; }
.lead { font-size:1.1rem; }
.features { list-style:none; padding:0; margin:1rem 0 0; display:grid; gap:.8rem; }
.features li { padding-left:1.8rem; position:relative; }
.features li::before { content:"✓"; position:absolute; left:0; top:0; width:1.3rem; height:1.3rem; border-radius:50%; background:#e5ecff;
  color:var(--brand); display:grid; place-items:center; font-weight:700; font-size:.8rem; }
.button.big { font-size:1.1rem; padding:.8rem 1.6rem; }
.install-grid { display:grid; gap:1.6rem; grid-template-columns:minmax(0,1fr) minmax(0,1.5fr); align-items:start; }
.install-figure { position:sticky; top:1rem; }
table.facts th { text-transform:none; letter-spacing:0; font-size:.95rem; font-weight:500; color:var(--ink); }
#download table.facts th { color:var(--muted); white-space:nowrap; padding-left:0; font-size:.9rem; }
#download table.facts td { font-size:.9rem; }
@media (max-width:860px) { .install-grid { grid-template-columns:minmax(0,1fr); } }
.install-figure svg { display:block; width:100%; height:auto; border-radius:12px; box-shadow:0 6px 20px rgba(29,35,48,.10); }
.install-figure figcaption { margin-top:.5rem; font-size:.9rem; }
footer { color:var(--muted); font-size:.85rem; text-align:center; padding:2rem 1rem; }
`;
