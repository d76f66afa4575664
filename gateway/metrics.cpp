#include "gateway/metrics.hpp"

#include <sstream>

namespace bulwark::gateway {

void HttpMetrics::record(std::string_view method, std::string_view route, unsigned status,
                         std::chrono::nanoseconds latency) {
  double latency_s = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mutex_);
  ++request_counts_[{std::string(method), std::string(route), status}];

  Histogram& histogram = latencies_[{std::string(method), std::string(route)}];
  for (std::size_t i = 0; i < latency_buckets_s.size(); ++i) {
    if (latency_s <= latency_buckets_s[i]) ++histogram.bucket_counts[i];
  }
  ++histogram.count;
  histogram.sum_s += latency_s;
}

std::string HttpMetrics::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);

  out << "# HELP bulwark_http_requests_total HTTP requests answered, by method, route and status.\n"
      << "# TYPE bulwark_http_requests_total counter\n";
  for (const auto& [key, count] : request_counts_) {
    const auto& [method, route, status] = key;
    out << "bulwark_http_requests_total{method=\"" << method << "\",route=\"" << route
        << "\",status=\"" << status << "\"} " << count << "\n";
  }

  out << "# HELP bulwark_http_request_duration_seconds Time from a complete request to its "
         "response.\n"
      << "# TYPE bulwark_http_request_duration_seconds histogram\n";
  for (const auto& [key, histogram] : latencies_) {
    const auto& [method, route] = key;
    std::string labels = "method=\"" + method + "\",route=\"" + route + "\"";
    for (std::size_t i = 0; i < latency_buckets_s.size(); ++i) {
      out << "bulwark_http_request_duration_seconds_bucket{" << labels << ",le=\""
          << latency_buckets_s[i] << "\"} " << histogram.bucket_counts[i] << "\n";
    }
    out << "bulwark_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} "
        << histogram.count << "\n";
    out << "bulwark_http_request_duration_seconds_sum{" << labels << "} " << histogram.sum_s
        << "\n";
    out << "bulwark_http_request_duration_seconds_count{" << labels << "} " << histogram.count
        << "\n";
  }
  auto counter = [&out](const char* name, const char* help, const char* type, auto value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << " " << value << "\n";
  };
  counter("bulwark_ws_sessions_open", "WebSocket sessions open now.", "gauge",
          websocket.sessions_open.load());
  counter("bulwark_ws_sessions_total", "WebSocket sessions accepted.", "counter",
          websocket.sessions_total.load());
  counter("bulwark_ws_frames_sent_total", "WebSocket frames written to clients.", "counter",
          websocket.frames_sent_total.load());
  counter("bulwark_ws_slow_consumer_closes_total",
          "WebSocket sessions closed with 1013 because the client read too slowly.", "counter",
          websocket.slow_consumer_closes_total.load());
  counter("bulwark_ws_policy_closes_total",
          "WebSocket sessions closed with 1008 because a message named another tenant.", "counter",
          websocket.policy_closes_total.load());
  return out.str();
}

}  // namespace bulwark::gateway
