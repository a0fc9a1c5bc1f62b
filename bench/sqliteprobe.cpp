// SPDX-License-Identifier: MIT
// flippdeal-sqliteprobe: how many durable transactions per second this disk allows. It commits
// `--transactions` transactions of `--inserts` small inserts each, one after the other, into a
// new SQLite file under WAL with `synchronous=FULL` (what the server uses), and prints the
// commits per second: the yardstick for the server's durable POST /api/messages per second,
// measured in the same run on the same disk (issue 13; docs/benchmarks.md).
//
// Usage: flippdeal-sqliteprobe --file PATH [--transactions N] [--inserts N]
// Prints one JSON line; bad input is one line on stderr and exit code 2.

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

struct Options
{
    std::string file;
    long transactions = 2000;
    long inserts = 5;
};

[[noreturn]] void fail(const std::string &message, int code)
{
    std::fprintf(stderr, "flippdeal-sqliteprobe: %s\n", message.c_str());
    std::exit(code);
}

long positive(std::string_view name, const char *text)
{
    char *end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < 1 || value > 10'000'000)
        fail(std::string(name) + " must be a whole number from 1 to 10000000", 2);
    return value;
}

Options parse(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc)
            fail("missing value after " + std::string(arg), 2);
        const char *value = argv[++i];
        if (arg == "--file")
            options.file = value;
        else if (arg == "--transactions")
            options.transactions = positive(arg, value);
        else if (arg == "--inserts")
            options.inserts = positive(arg, value);
        else
            fail("unknown option " + std::string(arg), 2);
    }
    if (options.file.empty())
        fail("--file is required", 2);
    return options;
}

void exec(sqlite3 *db, const char *sql)
{
    char *error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK)
        fail(std::string(sql) + ": " + (error ? error : "failed"), 1);
}

} // namespace

int main(int argc, char **argv)
{
    const Options options = parse(argc, argv);
    std::remove(options.file.c_str());
    sqlite3 *db = nullptr;
    if (sqlite3_open(options.file.c_str(), &db) != SQLITE_OK)
        fail("cannot open " + options.file, 1);
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, "CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL, at INTEGER)");
    sqlite3_stmt *insert = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO rows (body, at) VALUES (?, ?)", -1, &insert, nullptr) !=
        SQLITE_OK)
        fail("cannot prepare the insert", 1);
    const std::string body(120, 'x');
    const auto start = std::chrono::steady_clock::now();
    for (long t = 0; t < options.transactions; ++t) {
        exec(db, "BEGIN IMMEDIATE");
        for (long i = 0; i < options.inserts; ++i) {
            sqlite3_bind_text(insert, 1, body.data(), int(body.size()), SQLITE_STATIC);
            sqlite3_bind_int64(insert, 2, t);
            if (sqlite3_step(insert) != SQLITE_DONE)
                fail("insert failed", 1);
            sqlite3_reset(insert);
        }
        exec(db, "COMMIT");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sqlite3_finalize(insert);
    sqlite3_close(db);
    std::remove(options.file.c_str());
    std::printf("{\"probe\":\"raw_sqlite\",\"transactions\":%ld,\"inserts_per_transaction\":%ld,"
                "\"commits_per_s\":%.0f}\n",
                options.transactions, options.inserts, double(options.transactions) / seconds);
    return 0;
}
