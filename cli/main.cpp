// The `bulwark` executable: subcommands node, token, load, replay and inspect.
#include <cstdio>

int main() {
  std::puts("bulwark: not built yet");
  return 1;
}
