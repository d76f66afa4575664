// Node memory while WebSocket clients stop reading. Starts a real node, writes the same number
// of events twice, first with no WebSocket client and then with 20 clients that never read plus
// one that does, and prints the node's resident memory (VmRSS) around each phase. A second node
// then takes the same writes with no client at all, for a side-by-side comparison. Bounded send
// queues should make the two phases grow alike.
//
//   build/bench/ws_memory_bench [events_per_phase] [warm_up_events]   (defaults 20000 and 2000)
//
// Both nodes grow with the journal's memtable (about 210 bytes per event until RocksDB flushes
// it), so the last line, the side-by-side ratio, is the one that shows what the clients cost.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "node_process.hpp"
#include "ws_client.hpp"

namespace {

using bulwark::e2e::HttpClient;
using bulwark::e2e::NodeOptions;
using bulwark::e2e::NodeProcess;
using bulwark::e2e::WsClient;

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Writes `count` events that leave the tenant's state the same size: safe mode toggled on and off.
// Open reservations would grow the state and hide what the WebSocket sessions cost.
bool write_events(NodeProcess& node, const std::string& token, int first, int count) {
  HttpClient http(node.port());
  for (int i = first; i < first + count; ++i) {
    auto response =
        http.put("/v1/safe-mode", {{"enabled", i % 2 == 0}, {"reason", "bench toggle"}}, token);
    if (response.status != 200) {
      std::cerr << "safe mode toggle " << i << " failed: " << response.describe() << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int events = argc > 1 ? std::atoi(argv[1]) : 20'000;
  int warm_up = argc > 2 ? std::atoi(argv[2]) : 2'000;
  if (events < 1000) {
    std::cerr << "events_per_phase must be at least 1000\n";
    return 2;
  }
  NodeOptions options;
  options.extra_args = {"--no-sync", "--ws-queue-max", "256"};
  NodeProcess node(options);
  if (!node.start()) {
    std::cerr << "node did not start: " << node.last_error() << "\n";
    return 1;
  }
  std::string admin = node.token("bench", "adam", bulwark::gateway::Role::admin);
  std::string viewer = node.token("bench", "vera", bulwark::gateway::Role::viewer);
  HttpClient http(node.port());
  auto budget = http.put(
      "/v1/tenant/budget",
      {{"daily_limit_minor", 1'000'000'000'000}, {"currency", "EUR"}, {"time_zone", "UTC"}}, admin);
  if (budget.status != 200) {
    std::cerr << "budget failed: " << budget.describe() << "\n";
    return 1;
  }
  if (!write_events(node, admin, 0, warm_up)) return 1;
  long start = rss_kib(node.pid());

  if (!write_events(node, admin, 0, events)) return 1;
  long after_plain = rss_kib(node.pid());

  std::vector<std::unique_ptr<WsClient>> slow;
  for (int i = 0; i < 20; ++i) {
    auto client = std::make_unique<WsClient>();
    WsClient::Options client_options;
    client_options.token = viewer;
    client_options.receive_buffer_bytes = 4096;
    if (!client->connect(node.port(), "/v1/ws", client_options)) return 1;
    slow.push_back(std::move(client));
  }
  WsClient reader;
  WsClient::Options reader_options;
  reader_options.token = viewer;
  if (!reader.connect(node.port(), "/v1/ws", reader_options)) return 1;
  std::atomic<int> frames{0};
  std::atomic<bool> reading_done{false};
  std::thread reading([&] {
    while (frames < events) {
      auto read = reader.read(std::chrono::seconds(10));
      if (read.status != WsClient::ReadStatus::frame) break;
      frames++;
    }
    reading_done = true;
  });
  long peak = after_plain;
  std::thread sampler([&] {
    while (!reading_done) {
      peak = std::max(peak, rss_kib(node.pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  bool ok = write_events(node, admin, 0, events);
  reading.join();
  sampler.join();
  long after_slow = rss_kib(node.pid());
  if (!ok) return 1;

  // The same writes on a second node that never has a WebSocket client, side by side, so the
  // journal's own memory cancels out of the comparison.
  NodeProcess control(options);
  if (!control.start()) {
    std::cerr << "control node did not start: " << control.last_error() << "\n";
    return 1;
  }
  std::string control_admin = control.token("bench", "adam", bulwark::gateway::Role::admin);
  HttpClient control_http(control.port());
  auto control_budget = control_http.put(
      "/v1/tenant/budget",
      {{"daily_limit_minor", 1'000'000'000'000}, {"currency", "EUR"}, {"time_zone", "UTC"}},
      control_admin);
  if (control_budget.status != 200) return 1;
  if (!write_events(control, control_admin, 0, warm_up + 2 * events)) return 1;
  long control_end = rss_kib(control.pid());

  auto percent = [](long from, long to) { return 100.0 * static_cast<double>(to - from) / from; };
  std::cout << "events per phase        " << events << "\n"
            << "rss after warm-up       " << start << " KiB (" << warm_up << " events)\n"
            << "rss after phase 1       " << after_plain << " KiB (" << percent(start, after_plain)
            << " %, no WebSocket client)\n"
            << "rss after phase 2       " << after_slow << " KiB ("
            << percent(after_plain, after_slow)
            << " %, 20 clients not reading, 1 reading)\n"
            << "peak rss in phase 2     " << peak << " KiB\n"
            << "frames to the reader    " << frames.load() << " of " << events << "\n"
            << "control node, no client " << control_end << " KiB after the same "
            << warm_up + 2 * events << " events\n"
            << "with clients vs control " << percent(control_end, after_slow) << " %\n";
  return frames == events ? 0 : 1;
}
