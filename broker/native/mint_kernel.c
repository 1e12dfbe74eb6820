/*
 * The minting hot loop in C: one call hashes a whole batch of balls, so the JS->C++ crossing (the cost of
 * crypto.hash per ball) is paid once per batch. SHA-256 is OpenSSL's, the copy Node links and exports,
 * so it uses the CPU's SHA extensions and nothing is added to the build.
 *
 * mintBatch(prefix: Uint8Array(36) = "MMv1" || K_e, balls: Uint8Array(16 N), t, fixed, u, v) -> Uint32Array
 * of pairs (index in batch, slot) for each ball whose digest's top t bits equal `fixed`; slot = the next
 * u + v bits (superbin * 2^v + subbin), bits read most significant first, as slotOfDigest in shared/src/hash.ts.
 */
#define NAPI_VERSION 8
/* SHA256_Init/Transform are deprecated in OpenSSL 3 but still exported by Node, and they are the fastest path. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_BYTES 36
#define BALL_BYTES 16

static napi_value fail(napi_env env, int range, const char *msg) {
  if (range) napi_throw_range_error(env, NULL, msg);
  else napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int bytes_arg(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
  bool is;
  napi_typedarray_type type;
  void *p;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

static int uint_arg(napi_env env, napi_value v, uint32_t max, uint32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= max) || d != (double)(uint32_t)d) return 0;
  *out = (uint32_t)d;
  return 1;
}

static napi_value mint_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  const uint8_t *prefix, *balls;
  size_t prefix_len, balls_len;
  uint32_t t, fixed, u, v;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return fail(env, 0, "mintBatch takes 6 arguments");
  if (!bytes_arg(env, argv[0], &prefix, &prefix_len) || prefix_len != PREFIX_BYTES) return fail(env, 0, "prefix must be a Uint8Array of 36 bytes");
  if (!bytes_arg(env, argv[1], &balls, &balls_len) || balls_len % BALL_BYTES) return fail(env, 0, "balls must be a Uint8Array of 16-byte balls");
  if (!uint_arg(env, argv[2], 32, &t) || t < 1) return fail(env, 1, "t must be an integer from 1 to 32");
  if (!uint_arg(env, argv[4], 32, &u) || !uint_arg(env, argv[5], 32, &v) || u + v > 32 || t + u + v > 64)
    return fail(env, 1, "u and v must be integers with u + v <= 32 and t + u + v <= 64");
  if (!uint_arg(env, argv[3], t == 32 ? UINT32_MAX : (1u << t) - 1, &fixed)) return fail(env, 1, "fixed must be an integer below 2^t");

  size_t n = balls_len / BALL_BYTES;
  if (n > UINT32_MAX) return fail(env, 1, "too many balls in one batch");
  uint32_t *pairs = malloc(n ? n * 2 * sizeof(uint32_t) : 1);
  if (!pairs) return fail(env, 1, "out of memory");

  /* The 52-byte preimage fits one padded block: prefix, ball, 0x80, zeros, bit length 416 (big-endian). */
  uint8_t block[64] = {0};
  memcpy(block, prefix, PREFIX_BYTES);
  block[52] = 0x80;
  block[62] = 0x01;
  block[63] = 0xa0;
  SHA256_CTX iv, ctx;
  SHA256_Init(&iv);
  const uint32_t slot_bits = u + v;
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(block + PREFIX_BYTES, balls + i * BALL_BYTES, BALL_BYTES);
    /* One compression from the IV: the state words are the digest's big-endian words. */
    memcpy(ctx.h, iv.h, sizeof iv.h);
    SHA256_Transform(&ctx, block);
    uint64_t top = ((uint64_t)ctx.h[0] << 32) | ctx.h[1];
    if ((uint32_t)(top >> (64 - t)) != fixed) continue;
    pairs[2 * count] = (uint32_t)i;
    pairs[2 * count + 1] = slot_bits ? (uint32_t)((top << t) >> (64 - slot_bits)) : 0;
    count++;
  }

  napi_value ab, out;
  void *data;
  if (napi_create_arraybuffer(env, count * 2 * sizeof(uint32_t), &data, &ab) != napi_ok) {
    free(pairs);
    return NULL;
  }
  memcpy(data, pairs, count * 2 * sizeof(uint32_t));
  free(pairs);
  if (napi_create_typedarray(env, napi_uint32_array, count * 2, ab, 0, &out) != napi_ok) return NULL;
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "mintBatch", NAPI_AUTO_LENGTH, mint_batch, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "mintBatch", fn) != napi_ok) return NULL;
  return exports;
}
