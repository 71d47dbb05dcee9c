// JPEG decoding with the system's libjpeg-turbo, opened at run time (dlopen of libturbojpeg.so.0):
// the addon has no link-time dependency on it, so the prebuild still needs only libc and the
// library is optional (the loader falls back to sharp where it is absent). docs/decisions.md,
// "JPEG: libjpeg-turbo at run time", says why and how its pixels relate to sharp's.
//
// Only the TurboJPEG 2.x functions are used (libjpeg-turbo ≥ 2.0; 3.x keeps them): header, decode
// to RGB, error strings per handle. A Decoder is one TurboJPEG handle: one per thread and call.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace topofr::jpeg {

struct LibraryStatus {
  bool loaded = false;
  // What was opened ("libturbojpeg.so.0, TurboJPEG API 2.x") or why not (dlopen's error, a missing symbol).
  std::string detail;
};

// Opens the library on the first call (thread-safe); never throws.
const LibraryStatus& library_status();

enum class Outcome {
  Decoded,
  Declined,  // not for this decoder, sharp decodes it: not a JPEG, an ICC profile, CMYK/YCCK, too many pixels
  Failed,    // libjpeg-turbo refused the data (corrupt, truncated, any warning)
};

struct Result {
  Outcome outcome = Outcome::Decoded;
  std::string message;
};

struct Header {
  int width = 0, height = 0;
};

// sharp's default pixel limit (limitInputPixels): larger images go to sharp, which refuses them.
constexpr int64_t kMaxPixels = int64_t(0x3FFF) * 0x3FFF;

class Decoder {
 public:
  Decoder();  // throws std::runtime_error when the library is not loaded or gives no handle
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Reads the header. Declined for what sharp must decode for the pixels to be sharp's.
  Result header(const uint8_t* bytes, size_t size, Header& out);
  // Decodes to 8-bit RGB, header.width · header.height · 3 bytes at rgb; ISLOW IDCT and fancy
  // upsampling (libvips' settings), any libjpeg warning is a failure (sharp's failOn: 'warning').
  Result decode(const uint8_t* bytes, size_t size, const Header& header, uint8_t* rgb);

 private:
  Result failed(const char* what);
  void* handle_;
};

// True when the bytes start with a JPEG's SOI marker and a segment (FF D8 FF).
bool is_jpeg(const uint8_t* bytes, size_t size);

// (x/255 − 0.5)/0.5 for every byte of an RGB image (HWC), mirrored left–right when flip, into out.
// The table is rounded from double as the JS loader's is, so both give the same floats.
void normalise_rgb(const uint8_t* rgb, int width, int height, bool flip, float* out);

}  // namespace topofr::jpeg
