#pragma once
// A blocking WebSocket client for the end-to-end tests, on Beast over 127.0.0.1. Every read is
// bounded by a timeout, so a test fails rather than hangs when a frame never comes.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace bulwark::e2e {

class WsClient {
 public:
  struct Options {
    std::string token;                 // sent as Authorization: Bearer
    std::string subprotocol_token;     // sent as Sec-WebSocket-Protocol: bearer, <token>
    int receive_buffer_bytes = 0;      // SO_RCVBUF before connecting; 0 keeps the default
  };

  enum class ReadStatus { frame, timeout, closed, failed };
  struct Read {
    ReadStatus status = ReadStatus::failed;
    std::string text;          // the frame, for ReadStatus::frame
    unsigned close_code = 0;   // the server's close code, for ReadStatus::closed
    std::string close_reason;
  };

  // Connects and upgrades. On a refused upgrade, returns false and sets http_status().
  bool connect(std::uint16_t port, const std::string& target, const Options& options) {
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    boost::asio::ip::tcp::socket& socket = beast::get_lowest_layer(ws_).socket();
    boost::system::error_code ec;
    socket.open(boost::asio::ip::tcp::v4(), ec);
    if (options.receive_buffer_bytes > 0) {
      socket.set_option(boost::asio::socket_base::receive_buffer_size(options.receive_buffer_bytes),
                        ec);
    }
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    bool done = false;
    beast::get_lowest_layer(ws_).async_connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port),
        [&](boost::system::error_code connect_ec) {
          ec = connect_ec;
          done = true;
        });
    run_until(done, std::chrono::seconds(10));
    if (!done || ec) return false;
    beast::get_lowest_layer(ws_).expires_never();

    std::string token = options.token;
    std::string protocol_token = options.subprotocol_token;
    ws_.set_option(websocket::stream_base::decorator([token, protocol_token](
                                                         websocket::request_type& request) {
      if (!token.empty()) request.set(beast::http::field::authorization, "Bearer " + token);
      if (!protocol_token.empty()) {
        request.set(beast::http::field::sec_websocket_protocol, "bearer, " + protocol_token);
      }
    }));
    done = false;
    ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port), target,
                        [&](boost::system::error_code handshake_ec) {
                          ec = handshake_ec;
                          done = true;
                        });
    run_until(done, std::chrono::seconds(10));
    http_status_ = response_.result_int();
    return done && !ec;
  }

  // Reads one frame, or reports a timeout or the close.
  Read read(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    namespace beast = boost::beast;
    Read result;
    bool done = false;
    boost::system::error_code ec;
    ws_.async_read(buffer_, [&](boost::system::error_code read_ec, std::size_t) {
      ec = read_ec;
      done = true;
    });
    run_until(done, timeout);
    if (!done) {
      // Abandons the pending read with the connection: a timed-out client is not reused.
      beast::get_lowest_layer(ws_).cancel();
      run_until(done, std::chrono::seconds(5));
      result.status = ReadStatus::timeout;
      return result;
    }
    if (ec == beast::websocket::error::closed) {
      result.status = ReadStatus::closed;
      result.close_code = ws_.reason().code;
      result.close_reason = std::string(ws_.reason().reason.c_str());
      return result;
    }
    if (ec) {
      result.status = ReadStatus::failed;
      result.text = ec.message();
      return result;
    }
    result.status = ReadStatus::frame;
    result.text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return result;
  }

  bool write(const std::string& text) {
    bool done = false;
    boost::system::error_code ec;
    ws_.async_write(boost::asio::buffer(text), [&](boost::system::error_code write_ec, std::size_t) {
      ec = write_ec;
      done = true;
    });
    run_until(done, std::chrono::seconds(10));
    return done && !ec;
  }

  [[nodiscard]] unsigned http_status() const { return http_status_; }
  [[nodiscard]] std::string response_header(const std::string& name) const {
    return std::string(response_[name]);
  }

 private:
  void run_until(bool& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(50));
    }
  }

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_{io_};
  boost::beast::flat_buffer buffer_;
  boost::beast::websocket::response_type response_;
  unsigned http_status_ = 0;
};

}  // namespace bulwark::e2e
