// SPDX-License-Identifier: MIT
// flippdeal-floorprobe: what one delivery costs at the very least on this machine. It opens
// `--sockets` loopback TCP connections, and sends one `--bytes`-byte message on each of them per
// round, `--rounds` rounds at `--rate` rounds per second (0: as fast as it can), while a reader
// thread drains the other ends through epoll. It prints the sending thread's CPU time per send:
// the floor that a server's CPU per delivery (one send per subscriber) is compared with
// (issue 13; docs/benchmarks.md). With `--pin`, the sending thread runs on core 0 and the
// reader on core 1, as bench/pinned.sh places the server and the load generator.
//
// Usage: flippdeal-floorprobe [--sockets N] [--rounds N] [--rate N] [--bytes N] [--pin]
// Prints one JSON line; bad input is one line on stderr and exit code 2.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Options
{
    long sockets = 300;
    long rounds = 1000;
    long rate = 100; // rounds per second; 0 = saturated
    long bytes = 40;
    bool pin = false;
};

//! Runs the calling thread on `core` only; false if the machine has no such core.
bool pinTo(int core)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
}

[[noreturn]] void usageError(const std::string &message)
{
    std::fprintf(stderr, "flippdeal-floorprobe: %s\n", message.c_str());
    std::exit(2);
}

long number(std::string_view name, const char *text, long low, long high)
{
    char *end = nullptr;
    errno = 0;
    const long value = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
        usageError(std::string(name) + " must be a whole number from " + std::to_string(low) +
                   " to " + std::to_string(high));
    return value;
}

Options parse(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help") {
            std::printf("Usage: flippdeal-floorprobe [--sockets N] [--rounds N] [--rate N] "
                        "[--bytes N] [--pin]\n");
            std::exit(0);
        }
        if (arg == "--pin") {
            options.pin = true;
            continue;
        }
        if (i + 1 >= argc)
            usageError("unknown option or missing value: " + std::string(arg));
        const char *value = argv[++i];
        if (arg == "--sockets")
            options.sockets = number(arg, value, 1, 20000);
        else if (arg == "--rounds")
            options.rounds = number(arg, value, 1, 1000000);
        else if (arg == "--rate")
            options.rate = number(arg, value, 0, 1000000);
        else if (arg == "--bytes")
            options.bytes = number(arg, value, 1, 65536);
        else
            usageError("unknown option: " + std::string(arg));
    }
    return options;
}

//! A connected loopback pair: `sender` writes, `receiver` is drained by the reader thread.
struct Pair
{
    int sender = -1;
    int receiver = -1;
};

int listenOnLoopback(sockaddr_in *address)
{
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address->sin_port = 0;
    socklen_t length = sizeof *address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr *>(address), length) != 0 ||
        ::listen(listener, 4096) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr *>(address), &length) != 0) {
        std::perror("flippdeal-floorprobe: listen");
        std::exit(1);
    }
    return listener;
}

std::vector<Pair> connectPairs(long count)
{
    sockaddr_in address{};
    const int listener = listenOnLoopback(&address);
    std::vector<Pair> pairs;
    pairs.reserve(std::size_t(count));
    for (long i = 0; i < count; ++i) {
        Pair pair;
        pair.sender = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int on = 1;
        ::setsockopt(pair.sender, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        if (::connect(pair.sender, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
            (pair.receiver = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)) <
                0) {
            std::perror("flippdeal-floorprobe: connect (raise ulimit -n for many sockets)");
            std::exit(1);
        }
        pairs.push_back(pair);
    }
    ::close(listener);
    return pairs;
}

//! Drains every receiver until `stop`; counts the bytes read.
void drain(const std::vector<Pair> &pairs, const std::atomic<bool> &stop,
           std::atomic<long long> &received, bool pin)
{
    if (pin && !pinTo(1))
        std::fprintf(stderr, "flippdeal-floorprobe: cannot pin the reader to core 1\n");
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    for (const Pair &pair : pairs) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = pair.receiver;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, pair.receiver, &event);
    }
    std::vector<epoll_event> ready(1024);
    char buffer[65536];
    while (!stop.load(std::memory_order_relaxed)) {
        const int n = ::epoll_wait(epoll, ready.data(), int(ready.size()), 50);
        for (int i = 0; i < n; ++i) {
            ssize_t got;
            while ((got = ::read(ready[std::size_t(i)].data.fd, buffer, sizeof buffer)) > 0)
                received.fetch_add(got, std::memory_order_relaxed);
        }
    }
    ::close(epoll);
}

double threadCpuMicros()
{
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e6 + double(now.tv_nsec) / 1e3;
}

//! Sends the rounds; returns the sending thread's CPU time in µs and the sends made.
std::pair<double, long long> sendRounds(const std::vector<Pair> &pairs, const Options &options)
{
    const std::string message(std::size_t(options.bytes), 'x');
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const double cpuBefore = threadCpuMicros();
    long long sends = 0;
    for (long round = 0; round < options.rounds; ++round) {
        if (options.rate > 0)
            std::this_thread::sleep_until(
                start + std::chrono::microseconds(round * 1000000 / options.rate));
        for (const Pair &pair : pairs)
            if (::send(pair.sender, message.data(), message.size(), MSG_NOSIGNAL) ==
                ssize_t(message.size()))
                ++sends;
    }
    return {threadCpuMicros() - cpuBefore, sends};
}

} // namespace

int main(int argc, char **argv)
{
    const Options options = parse(argc, argv);
    const std::vector<Pair> pairs = connectPairs(options.sockets);
    std::atomic<bool> stop{false};
    std::atomic<long long> received{0};
    std::thread reader(drain, std::cref(pairs), std::cref(stop), std::ref(received), options.pin);
    if (options.pin && !pinTo(0))
        usageError("cannot pin the sender to core 0");

    const auto [cpuMicros, sends] = sendRounds(pairs, options);
    const long long expected = sends * options.bytes;
    for (int i = 0; i < 200 && received.load() < expected; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
    reader.join();
    for (const Pair &pair : pairs) {
        ::close(pair.sender);
        ::close(pair.receiver);
    }
    std::printf("{\"mode\":\"floor\",\"pinned\":%s,\"sockets\":%ld,\"rounds\":%ld,\"rate\":%ld,"
                "\"bytes\":%ld,"
                "\"sends\":%lld,\"bytes_received\":%lld,\"sender_cpu_us_per_send\":%.2f}\n",
                options.pin ? "true" : "false", options.sockets, options.rounds, options.rate,
                options.bytes, sends, received.load(), sends > 0 ? cpuMicros / double(sends) : 0.0);
    return received.load() == expected ? 0 : 1;
}
