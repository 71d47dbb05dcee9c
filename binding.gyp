{
  "variables": {
    "topofr_cflags": ["-O3", "-std=c++17", "-fno-math-errno", "-fvisibility=hidden"]
  },
  "targets": [
    {
      "target_name": "topofr_avx2",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').avx2.join(' ')\")"],
      "cflags_cc": ["<@(topofr_cflags)", "-mavx2", "-mfma", "-fPIC"]
    },
    {
      "target_name": "topofr_avx512",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').avx512.join(' ')\")"],
      "cflags_cc": ["<@(topofr_cflags)", "-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mavx2", "-mfma", "-fPIC"]
    },
    {
      "target_name": "topofr",
      "sources": [
        "<!@(node -p \"require('./native/sources.json').addon.join(' ')\")",
        "<!@(node -p \"require('./native/sources.json').core.join(' ')\")",
        "<!@(node -p \"require('./native/sources.json').cuda_stub.join(' ')\")"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
        "topofr_avx2",
        "topofr_avx512"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["<@(topofr_cflags)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "ldflags": ["-pthread"]
    }
  ]
}
