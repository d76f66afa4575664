#pragma once
// HTTP request metrics in the Prometheus text exposition format (version 0.0.4): a counter per
// method, route template and status, and a latency histogram per method and route.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace bulwark::gateway {

class HttpMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> latency_buckets_s = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

  // Thread-safe. `route` is a template such as "/v1/actions/{id}/approve", never a raw path, so
  // the number of series stays bounded.
  void record(std::string_view method, std::string_view route, unsigned status,
              std::chrono::nanoseconds latency);

  [[nodiscard]] std::string render() const;

  // WebSocket sessions, counted by the server. Atomic, so sessions update them without the lock.
  struct WebSocketCounters {
    std::atomic<std::int64_t> sessions_open{0};
    std::atomic<std::uint64_t> sessions_total{0};
    std::atomic<std::uint64_t> frames_sent_total{0};
    std::atomic<std::uint64_t> slow_consumer_closes_total{0};
    std::atomic<std::uint64_t> policy_closes_total{0};
  };
  WebSocketCounters websocket;

 private:
  struct Histogram {
    std::array<std::uint64_t, latency_buckets_s.size()> bucket_counts{};
    std::uint64_t count = 0;
    double sum_s = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> request_counts_;
  std::map<std::pair<std::string, std::string>, Histogram> latencies_;
};

}  // namespace bulwark::gateway
