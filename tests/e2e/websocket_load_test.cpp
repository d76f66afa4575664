// WebSocket isolation under the real-data demo workload: 20 tenants with 5 sockets each and two
// platform sockets, while `bulwark load --scenario demo` drives the node.
#include <atomic>
#include <map>
#include <thread>

#include "e2e_support.hpp"
#include "ws_client.hpp"

namespace bulwark::e2e {
namespace {

using ReadStatus = WsClient::ReadStatus;

constexpr int tenant_count = 20;
constexpr int sockets_per_tenant = 5;

std::string demo_tenant(int index) {
  return std::string("demo-") + (index < 9 ? "0" : "") + std::to_string(index + 1);
}

// Frames one socket received, read on its own thread until its tenant's last seq arrives or the
// deadline passes.
struct Watcher {
  std::string tenant;  // empty for a platform socket
  std::unique_ptr<WsClient> client;
  std::vector<std::string> frames;
  std::string failure;
};

class WebSocketLoadE2E : public NodeTest {};

TEST_F(WebSocketLoadE2E, DemoWorkloadIsolatedPerSocket) {
  NodeOptions options;
  options.extra_args = {"--platform-push-interval", "300ms"};
  ASSERT_NO_FATAL_FAILURE(start_node(options));

  std::vector<Watcher> watchers;
  for (int t = 0; t < tenant_count; ++t) {
    for (int s = 0; s < sockets_per_tenant; ++s) {
      watchers.push_back(Watcher{demo_tenant(t), std::make_unique<WsClient>(), {}, {}});
    }
  }
  for (int p = 0; p < 2; ++p) watchers.push_back(Watcher{"", std::make_unique<WsClient>(), {}, {}});
  for (auto& watcher : watchers) {
    WsClient::Options client_options;
    client_options.token =
        watcher.tenant.empty()
            ? node_->token("", "ops", gateway::Role::platform)
            : node_->token(watcher.tenant, "watcher", gateway::Role::viewer);
    ASSERT_TRUE(watcher.client->connect(node_->port(), "/v1/ws", client_options))
        << watcher.tenant << ": " << watcher.client->http_status();
  }

  // Each tenant's last seq, known once the load has finished; 0 until then.
  std::map<std::string, std::atomic<std::uint64_t>> last_seq;
  for (int t = 0; t < tenant_count; ++t) last_seq[demo_tenant(t)] = 0;
  std::atomic<bool> load_done{false};
  auto deadline = std::chrono::steady_clock::now() + 120s;

  std::vector<std::thread> readers;
  for (auto& watcher : watchers) {
    readers.emplace_back([&watcher, &last_seq, &load_done, deadline] {
      std::uint64_t newest = 0;
      while (std::chrono::steady_clock::now() < deadline) {
        if (watcher.tenant.empty() && load_done) return;
        if (!watcher.tenant.empty()) {
          std::uint64_t target = last_seq.at(watcher.tenant);
          if (target > 0 && newest >= target) return;
        }
        auto read = watcher.client->read(500ms);
        if (read.status == ReadStatus::timeout) continue;
        if (read.status != ReadStatus::frame) {
          watcher.failure = "socket ended: " + read.text + " close " +
                            std::to_string(read.close_code) + " " + read.close_reason;
          return;
        }
        json frame = json::parse(read.text, nullptr, false);
        if (frame.is_object() && frame.contains("seq")) newest = frame["seq"].get<std::uint64_t>();
        watcher.frames.push_back(std::move(read.text));
      }
      watcher.failure = "deadline passed";
    });
  }

  auto load = NodeProcess::run_tool({"load", "--target",
                                     "http://127.0.0.1:" + std::to_string(node_->port()),
                                     "--secret-file", node_->secret_path(), "--scenario", "demo",
                                     "--days", "40", "--duration", "90"},
                                    100s);
  ASSERT_EQ(load.exit_code, 0) << load.output;

  // The journal of each tenant, read over HTTP, is what its sockets must have received.
  std::map<std::string, std::vector<json>> journals;
  for (int t = 0; t < tenant_count; ++t) {
    HttpClient http(node_->port());
    std::string error;
    auto events =
        fetch_all_events(http, node_->token(demo_tenant(t), "auditor", gateway::Role::viewer), error);
    ASSERT_EQ(error, "");
    ASSERT_FALSE(events.empty()) << demo_tenant(t);
    last_seq[demo_tenant(t)] = events.back().at("seq").get<std::uint64_t>();
    journals[demo_tenant(t)] = std::move(events);
  }
  load_done = true;
  for (auto& reader : readers) reader.join();

  int tenant_frames = 0;
  int foreign_frames = 0;
  int platform_frames = 0;
  for (const auto& watcher : watchers) {
    EXPECT_EQ(watcher.failure, "") << (watcher.tenant.empty() ? "platform" : watcher.tenant);
    if (watcher.tenant.empty()) {
      for (const auto& text : watcher.frames) {
        json frame = json::parse(text);
        EXPECT_EQ(frame.value("type", ""), "platform_stats") << text.substr(0, 200);
        EXPECT_EQ(text.find("demo-"), std::string::npos) << "tenant id in a platform frame";
        platform_frames++;
      }
      continue;
    }
    const auto& journal = journals.at(watcher.tenant);
    ASSERT_EQ(watcher.frames.size(), journal.size()) << watcher.tenant;
    for (std::size_t i = 0; i < journal.size(); ++i) {
      json frame = json::parse(watcher.frames[i]);
      // Sequence order with no gap, and each frame is this tenant's own journal entry.
      if (frame != journal[i]) foreign_frames++;
      tenant_frames++;
    }
  }
  EXPECT_EQ(foreign_frames, 0);
  EXPECT_GT(tenant_frames, tenant_count * sockets_per_tenant * 40);
  EXPECT_GT(platform_frames, 0);
  std::cout << "websocket load: " << tenant_frames << " tenant frames on "
            << tenant_count * sockets_per_tenant << " sockets, " << foreign_frames
            << " foreign, " << platform_frames << " platform frames\n";
}

}  // namespace
}  // namespace bulwark::e2e
