// SPDX-License-Identifier: GPL-2.0
// A demo MPTCP client and server: the server answers each connection with what it sees of
// it (MPTCP or not, the client's address, the subflows); the client connects with MPTCP,
// prints both views, and makes a fallback to plain TCP visible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct DemoServerOptions {
    std::string addr = "::";   // "::" listens on IPv4 and IPv6
    uint16_t port = 4242;
    bool tcp = false;          // plain TCP listener (to show a client's fallback)
    int count = 0;             // exit after N connections; 0 = forever
};

// Serves until @count connections are answered; @log gets one line per connection.
Result<void> run_demo_server(const DemoServerOptions& o,
                             const std::function<void(const std::string&)>& log);

struct DemoClientResult {
    std::string peer;              // "addr:port" connected to
    SocketMptcp local;             // our own socket's view
    nlohmann::json server;         // the server's answer; null if it gave none
    std::string server_error;      // why there is no answer
    UniqueFd conn;                 // the connection, still open
};

// Checks a server's answer line: a JSON object with "mptcp" (bool), "why" and "client"
// (strings), "subflows" (array of {"local","remote"} strings) and "request_ok" (bool).
// Anything else is not from an mptcp-sched demo server; the error says what is wrong.
Result<nlohmann::json> parse_demo_answer(const std::string& line);

// Connects to HOST:PORT with MPTCP (plain TCP with @tcp), waits until the subflow count
// has settled (at most @settle_ms), asks the server, returns both views.
Result<DemoClientResult> run_demo_client(const std::string& host, uint16_t port, bool tcp,
                                         int settle_ms);
std::string render_demo_client(const DemoClientResult& r);

// `demo client --json`; @asked_tcp: plain TCP was asked for, so no MPTCP is no fallback.
nlohmann::json to_json(const DemoClientResult& r, bool asked_tcp);

}  // namespace mptcp_sched
