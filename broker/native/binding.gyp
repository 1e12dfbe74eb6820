{
  "targets": [
    {
      "target_name": "mint_kernel",
      "sources": ["mint_kernel.c"],
      "cflags": ["-O3"],
      "xcode_settings": { "GCC_OPTIMIZATION_LEVEL": "3" }
    }
  ]
}
