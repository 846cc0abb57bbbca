#include <nvrtc.h>
#include <dlfcn.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
using clk = std::chrono::steady_clock;
static double since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }
int main(int argc, char **argv) {
  if (getenv("INIT")) {
    auto t = clk::now();
    void *h = dlopen("libcuda.so.1", RTLD_NOW);
    int rc = -1;
    if (h) { auto init = (int (*)(unsigned))dlsym(h, "cuInit"); rc = init(0); }
    std::printf("cuInit rc=%d %.3f s\n", rc, since(t));
  }
  std::ifstream in(argv[1]); std::stringstream ss; ss << in.rdbuf(); std::string src = ss.str();
  std::vector<std::string> opts = {"--gpu-architecture=sm_90a", "--std=c++17", "-default-device",
      "-DFLASHGEN_NO_HOST=1", "-Itemplates"};
  for (int i = 2; i < argc; ++i) opts.push_back(argv[i]);
  std::vector<const char*> p; for (auto &o : opts) p.push_back(o.c_str());
  int reps = getenv("REPS") ? atoi(getenv("REPS")) : 1;
  for (int r = 0; r < reps; ++r) {
    auto t0 = clk::now();
    nvrtcProgram prog; nvrtcCreateProgram(&prog, src.c_str(), "x.cu", 0, nullptr, nullptr);
    nvrtcResult rc = nvrtcCompileProgram(prog, int(p.size()), p.data());
    double s = since(t0);
    size_t n; nvrtcGetProgramLogSize(prog, &n); std::string log(n, 0); nvrtcGetProgramLog(prog, log.data());
    size_t cb = 0; nvrtcGetCUBINSize(prog, &cb);
    std::printf("%s rc=%d %.3f s cubin=%zu\n", argv[1], int(rc), s, cb);
    if (rc) std::printf("%s\n", log.c_str());
    else if (log.size() > 1 && getenv("SHOWLOG")) std::printf("%s\n", log.c_str());
    nvrtcDestroyProgram(&prog);
  }
}
