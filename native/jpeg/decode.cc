// pneumo_jpeg: 8-bit grayscale JPEG decoding through the system's libjpeg(-turbo), the same library
// and the same accurate integer IDCT that Pillow (and so pydicom) uses. A separate small addon, not
// part of pneumo_torch: the data layer and its loader workers decode without loading libtorch.
// sharp decodes the same streams to the same samples, but its libvips pipeline costs about twice the
// decode itself on SIIM's 1024x1024 frames.
#include <napi.h>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <jpeglib.h>

namespace {

struct ErrorManager {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

// libjpeg carries on past corrupt data with a warning (level -1) and grey fill; a warning is an error
// here, so that a damaged stream goes to the caller's fallback instead of becoming a plausible image.
void OnMessage(j_common_ptr cinfo, int level) {
  if (level < 0) OnError(cinfo);
}

struct Header {
  int width = 0;
  int height = 0;
  int components = 0;
  int precision = 0;
};

using Allocate = unsigned char* (*)(void* context, size_t bytes);

// Plain C control flow only between setjmp and longjmp: nothing here has a destructor to skip.
// Decodes when the stream is single-component 8-bit; otherwise fills `header` and leaves `*pixels`
// null. Returns false with `message` set when libjpeg rejects the stream.
bool Decode(const unsigned char* src, size_t length, Allocate allocate, void* context, Header* header,
            unsigned char** pixels, char* message) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = OnError;
  err.mgr.emit_message = OnMessage;
  *pixels = nullptr;
  if (setjmp(err.jump)) {
    std::memcpy(message, err.message, JMSG_LENGTH_MAX);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, src, static_cast<unsigned long>(length));
  jpeg_read_header(&cinfo, TRUE);
  header->width = static_cast<int>(cinfo.image_width);
  header->height = static_cast<int>(cinfo.image_height);
  header->components = cinfo.num_components;
  header->precision = cinfo.data_precision;
  if (cinfo.num_components != 1 || cinfo.data_precision != 8) {
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  cinfo.out_color_space = JCS_GRAYSCALE;
  cinfo.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&cinfo);
  const size_t stride = cinfo.output_width;
  unsigned char* out = allocate(context, stride * cinfo.output_height);
  JSAMPROW rows[16];
  while (cinfo.output_scanline < cinfo.output_height) {
    const JDIMENSION left = cinfo.output_height - cinfo.output_scanline;
    const JDIMENSION count = left < 16 ? left : 16;
    for (JDIMENSION i = 0; i < count; i++) rows[i] = out + (cinfo.output_scanline + i) * stride;
    jpeg_read_scanlines(&cinfo, rows, count);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  *pixels = out;
  return true;
}

struct AllocationContext {
  Napi::Env env;
  Napi::Uint8Array array;
};

unsigned char* AllocateArray(void* context, size_t bytes) {
  auto* c = static_cast<AllocationContext*>(context);
  c->array = Napi::Uint8Array::New(c->env, bytes);
  return c->array.Data();
}

// decodeGray8(bytes: Uint8Array) -> { width, height, components, precision, pixels: Uint8Array | null }
// pixels is null for streams that are not single-component 8-bit (the caller decodes those otherwise).
// Throws an Error with libjpeg's message for a stream libjpeg rejects or warns about.
Napi::Value DecodeGray8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "decodeGray8 expects a Uint8Array");
  }
  Napi::Uint8Array input = info[0].As<Napi::Uint8Array>();
  AllocationContext context{env, Napi::Uint8Array()};
  Header header;
  unsigned char* pixels = nullptr;
  char message[JMSG_LENGTH_MAX] = {0};
  if (!Decode(input.Data(), input.ByteLength(), AllocateArray, &context, &header, &pixels, message)) {
    throw Napi::Error::New(env, message);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("width", header.width);
  out.Set("height", header.height);
  out.Set("components", header.components);
  out.Set("precision", header.precision);
  out.Set("pixels", pixels ? Napi::Value(context.array) : env.Null());
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeGray8", Napi::Function::New(env, DecodeGray8));
  return exports;
}

}  // namespace

NODE_API_MODULE(pneumo_jpeg, Init)
