// JPEG decoding by the system's libjpeg-turbo, opened at run time (native/core/jpeg_turbo.h), for
// src/data/jpeg-turbo.ts. All synchronous: the data loader calls them in its worker threads.
//
//   jpegLibrary() → { loaded, detail }
//   jpegDecode(bytes) → { outcome: 'decoded', data, width, height } | { outcome: 'declined' | 'failed', message }
//   jpegDecodeBatch(images, size, flips, out, offset) → per image null (placed) or { outcome, message }
//     image j, size × size, goes normalised ((x/255 − 0.5)/0.5, NHWC) and mirrored when flips[j] = 1
//     to out[offset + j·size²·3 …]; an image of another size is declined (the loader resizes it).
#include <string>
#include <vector>

#include "../core/jpeg_turbo.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

struct Bytes {
  const uint8_t* data;
  size_t length;
};

Bytes uint8_value(const Napi::Value& v, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", name + " must be a Uint8Array");
  auto array = v.As<Napi::Uint8Array>();
  return {array.Data(), array.ElementLength()};
}

const char* outcome_name(jpeg::Outcome outcome) {
  return outcome == jpeg::Outcome::Declined ? "declined" : outcome == jpeg::Outcome::Failed ? "failed" : "decoded";
}

Napi::Object not_decoded(Napi::Env env, const jpeg::Result& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("outcome", outcome_name(r.outcome));
  o.Set("message", r.message);
  return o;
}

}  // namespace

Napi::Value JpegLibrary(const Napi::CallbackInfo& info) {
  const jpeg::LibraryStatus& status = jpeg::library_status();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("loaded", status.loaded);
  o.Set("detail", status.detail);
  return o;
}

Napi::Value JpegDecode(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const Bytes bytes = uint8_value(info[0], "bytes");
    jpeg::Decoder decoder;
    jpeg::Header header;
    jpeg::Result r = decoder.header(bytes.data, bytes.length, header);
    if (r.outcome != jpeg::Outcome::Decoded) return not_decoded(env, r);
    const size_t length = size_t(header.width) * header.height * 3;
    Napi::ArrayBuffer pixels = Napi::ArrayBuffer::New(env, length);
    r = decoder.decode(bytes.data, bytes.length, header, static_cast<uint8_t*>(pixels.Data()));
    if (r.outcome != jpeg::Outcome::Decoded) return not_decoded(env, r);
    Napi::Object o = Napi::Object::New(env);
    o.Set("outcome", "decoded");
    o.Set("data", Napi::Uint8Array::New(env, length, pixels, 0));
    o.Set("width", header.width);
    o.Set("height", header.height);
    return o;
  });
}

Napi::Value JpegDecodeBatch(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() != 5)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "expected 5 arguments, got " + std::to_string(info.Length()));
    if (!info[0].IsArray()) throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "images must be an array of Uint8Array");
    Napi::Array list = info[0].As<Napi::Array>();
    const int64_t size = integer_arg(info, 1, "size", 1, 1 << 14);
    const Bytes flips = uint8_value(info[2], "flips");
    FloatArray out = float32_arg(info, 3, "out");
    const int64_t offset = integer_arg(info, 4, "offset", 0, int64_t(1) << 50);
    const size_t count = list.Length(), pixels = size_t(size) * size * 3;
    std::vector<Bytes> images(count);
    for (uint32_t j = 0; j < count; j++) images[j] = uint8_value(list.Get(j), "images[" + std::to_string(j) + "]");
    if (flips.length != count)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "flips has " + std::to_string(flips.length) +
                                                                         " entries for " + std::to_string(count) + " images");
    if (uint64_t(offset) + uint64_t(count) * pixels > out.length)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                      std::to_string(count) + " images of " + std::to_string(size) + "×" + std::to_string(size) +
                          "×3 at offset " + std::to_string(offset) + " do not fit in out (" + std::to_string(out.length) + " floats)");
    jpeg::Decoder decoder;
    std::vector<uint8_t> rgb(pixels);
    Napi::Array outcomes = Napi::Array::New(env, count);
    for (uint32_t j = 0; j < count; j++) {
      jpeg::Header header;
      jpeg::Result r = decoder.header(images[j].data, images[j].length, header);
      if (r.outcome == jpeg::Outcome::Decoded && (header.width != size || header.height != size))
        r = {jpeg::Outcome::Declined, std::to_string(header.width) + "×" + std::to_string(header.height) + ", not " +
                                          std::to_string(size) + "×" + std::to_string(size)};
      if (r.outcome == jpeg::Outcome::Decoded) r = decoder.decode(images[j].data, images[j].length, header, rgb.data());
      if (r.outcome != jpeg::Outcome::Decoded) {
        outcomes.Set(j, not_decoded(env, r));
        continue;
      }
      jpeg::normalise_rgb(rgb.data(), int(size), int(size), flips.data[j] == 1, out.data + offset + j * pixels);
      outcomes.Set(j, env.Null());
    }
    return outcomes;
  });
}

}  // namespace topofr
