#include "jpeg_turbo.h"

#include <dlfcn.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace topofr::jpeg {
namespace {

// The TurboJPEG 2.x ABI (turbojpeg.h of libjpeg-turbo 2.0–3.x), declared here because the library
// is opened at run time: the build needs neither its header nor the library.
using InitDecompress = void* (*)();
using DecompressHeader3 = int (*)(void* handle, const unsigned char* jpeg, unsigned long size, int* width,
                                  int* height, int* subsampling, int* colorspace);
using Decompress2 = int (*)(void* handle, const unsigned char* jpeg, unsigned long size, unsigned char* dst,
                            int width, int pitch, int height, int pixel_format, int flags);
using Destroy = int (*)(void* handle);
using GetErrorStr2 = char* (*)(void* handle);

constexpr int kPixelFormatRgb = 0;                   // TJPF_RGB
constexpr int kColorspaceCmyk = 3, kColorspaceYcck = 4;  // TJCS_CMYK, TJCS_YCCK
constexpr int kFlagAccurateDct = 4096;               // TJFLAG_ACCURATEDCT: ISLOW, as libjpeg's default
constexpr int kFlagStopOnWarning = 8192;             // TJFLAG_STOPONWARNING (2.0+)
constexpr int kFlagLimitScans = 32768;               // TJFLAG_LIMITSCANS: no progressive file of 500+ scans

struct Api {
  LibraryStatus status;
  InitDecompress init = nullptr;
  DecompressHeader3 header = nullptr;
  Decompress2 decompress = nullptr;
  Destroy destroy = nullptr;
  GetErrorStr2 error = nullptr;
};

template <class F>
bool bind(void* library, const char* name, F& out, std::string& missing) {
  out = reinterpret_cast<F>(dlsym(library, name));
  if (!out && missing.empty()) missing = name;
  return out != nullptr;
}

Api open_library() {
  Api api;
  constexpr const char* kName = "libturbojpeg.so.0";
  void* library = dlopen(kName, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = dlerror();
    api.status.detail = why ? why : std::string(kName) + ": cannot be opened";
    return api;
  }
  std::string missing;
  bind(library, "tjInitDecompress", api.init, missing);
  bind(library, "tjDecompressHeader3", api.header, missing);
  bind(library, "tjDecompress2", api.decompress, missing);
  bind(library, "tjDestroy", api.destroy, missing);
  // Per-handle error strings and TJFLAG_STOPONWARNING arrived together in libjpeg-turbo 2.0.
  bind(library, "tjGetErrorStr2", api.error, missing);
  if (!missing.empty()) {
    api.status.detail = std::string(kName) + " has no " + missing + ": libjpeg-turbo ≥ 2.0 is needed";
    dlclose(library);
    return api;
  }
  const bool api3 = dlsym(library, "tj3Init") != nullptr;
  api.status.loaded = true;
  api.status.detail = std::string(kName) + (api3 ? " (libjpeg-turbo 3.x)" : " (libjpeg-turbo 2.x)");
  return api;  // never closed: decoders may run on any thread until the process ends
}

const Api& api() {
  static const Api opened = open_library();
  return opened;
}

// An ICC profile (APP2 "ICC_PROFILE\0") before the first scan: sharp converts such images to sRGB
// with it, so only sharp gives sharp's pixels for them.
bool has_icc_profile(const uint8_t* bytes, size_t size) {
  static const char kTag[] = "ICC_PROFILE";  // with its terminating NUL: 12 bytes
  size_t p = 2;
  while (p + 4 <= size && bytes[p] == 0xFF) {
    const uint8_t marker = bytes[p + 1];
    if (marker == 0xFF) {  // fill byte
      p++;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return false;  // SOS, EOI
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // no length
      p += 2;
      continue;
    }
    const size_t length = (size_t(bytes[p + 2]) << 8) | bytes[p + 3];
    if (length < 2) return false;
    if (marker == 0xE2 && length >= 2 + sizeof kTag && p + 4 + sizeof kTag <= size &&
        std::memcmp(bytes + p + 4, kTag, sizeof kTag) == 0)
      return true;
    p += 2 + length;
  }
  return false;  // malformed segments: the decoder reports them
}

const std::array<float, 256>& unit_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int x = 0; x < 256; x++) t[x] = float((double(x) / 255.0 - 0.5) / 0.5);
    return t;
  }();
  return table;
}

}  // namespace

const LibraryStatus& library_status() { return api().status; }

bool is_jpeg(const uint8_t* bytes, size_t size) {
  return size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

Decoder::Decoder() : handle_(nullptr) {
  const Api& a = api();
  if (!a.status.loaded) throw std::runtime_error("libjpeg-turbo is not available: " + a.status.detail);
  handle_ = a.init();
  if (!handle_) throw std::runtime_error("tjInitDecompress failed: " + std::string(a.error(nullptr)));
}

Decoder::~Decoder() {
  if (handle_) api().destroy(handle_);
}

Result Decoder::failed(const char* what) {
  const char* message = api().error(handle_);
  return {Outcome::Failed, std::string(what) + ": " + (message ? message : "unknown error")};
}

Result Decoder::header(const uint8_t* bytes, size_t size, Header& out) {
  if (!is_jpeg(bytes, size)) return {Outcome::Declined, "not a JPEG"};
  if (has_icc_profile(bytes, size)) return {Outcome::Declined, "an embedded ICC profile"};
  int subsampling = 0, colorspace = 0;
  if (api().header(handle_, bytes, static_cast<unsigned long>(size), &out.width, &out.height, &subsampling, &colorspace) != 0) {
    // Unusual sampling factors are refused here by TurboJPEG 2.x yet read by libvips: sharp judges.
    Result r = failed("header");
    r.outcome = Outcome::Declined;
    return r;
  }
  if (colorspace == kColorspaceCmyk || colorspace == kColorspaceYcck) return {Outcome::Declined, "CMYK"};
  if (out.width < 1 || out.height < 1 || int64_t(out.width) * out.height > kMaxPixels)
    return {Outcome::Declined, "more pixels than sharp's limit"};
  return {};
}

Result Decoder::decode(const uint8_t* bytes, size_t size, const Header& header, uint8_t* rgb) {
  const int flags = kFlagAccurateDct | kFlagStopOnWarning | kFlagLimitScans;  // fancy upsampling: the default
  if (api().decompress(handle_, bytes, static_cast<unsigned long>(size), rgb, header.width, 0, header.height,
                       kPixelFormatRgb, flags) != 0)
    return failed("decode");
  return {};
}

void normalise_rgb(const uint8_t* rgb, int width, int height, bool flip, float* out) {
  const std::array<float, 256>& unit = unit_table();
  const size_t row = size_t(width) * 3;
  for (int y = 0; y < height; y++) {
    const uint8_t* src = rgb + y * row;
    float* dst = out + y * row;
    if (!flip) {
      for (size_t k = 0; k < row; k++) dst[k] = unit[src[k]];
      continue;
    }
    for (int x = 0; x < width; x++) {
      const uint8_t* from = src + size_t(width - 1 - x) * 3;
      dst[3 * x] = unit[from[0]];
      dst[3 * x + 1] = unit[from[1]];
      dst[3 * x + 2] = unit[from[2]];
    }
  }
}

}  // namespace topofr::jpeg
