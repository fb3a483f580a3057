{
  "targets": [
    {
      "target_name": "pneumo_torch",
      "sources": ["<!@(node -e \"console.log(require('fs').readdirSync('native').filter(f=>f.endsWith('.cc')).map(f=>'native/'+f).join(' '))\")"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node native/find-libtorch.cjs include)",
        "native/fallback-include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "<!(node native/find-libtorch.cjs abi)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<!(node native/find-libtorch.cjs lib)",
        "-Wl,-rpath,<!(node native/find-libtorch.cjs lib)",
        "-Wl,--no-as-needed",
        "<!(node native/find-libtorch.cjs cuda)",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10",
        "-Wl,--as-needed"
      ]
    },
    {
      "target_name": "pneumo_jpeg",
      "sources": ["native/jpeg/decode.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O2"],
      "libraries": ["-ljpeg"]
    }
  ]
}
