// SPDX-License-Identifier: MIT
// The HTML sanitizer of chat messages (server/messaging/htmlsanitizer.h). Besides memory
// errors, each input of up to 100 kB must finish within its time budget (issue 11: 20 ms), or
// one message stalls the event loop. The budget is CPU time of this thread, so a loaded machine
// does not make false alarms, and a slow input is timed twice more before it counts, so one
// pause of the sanitizers' allocator (recycling its quarantine) does not either; a quadratic
// case is slow every time. FLIPPDEAL_FUZZ_BUDGET_MS overrides the budget.
#include "fuzzinput.h"

#include "messaging/htmlsanitizer.h"

#include <algorithm>
#include <ctime>

using namespace flippdeal::server;
using flippdeal::fuzz::check;

namespace {

constexpr size_t MaxInputBytes = 100 * 1024;

double threadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

double budgetMs()
{
    static const double budget = [] {
        const char *value = std::getenv("FLIPPDEAL_FUZZ_BUDGET_MS");
        return value && std::atof(value) > 0 ? std::atof(value) : 20.0;
    }();
    return budget;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MaxInputBytes)
        return 0;
    const QString html = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    double start = threadCpuMs();
    const std::optional<QString> result = htmlToPlainText(html);
    double elapsed = threadCpuMs() - start;
    for (int retry = 0; retry < 2 && elapsed > budgetMs(); ++retry) {
        start = threadCpuMs();
        (void)htmlToPlainText(html);
        elapsed = std::min(elapsed, threadCpuMs() - start);
    }
    if (elapsed > budgetMs()) {
        std::fprintf(stderr, "htmlToPlainText took %.1f ms of CPU for %zu bytes (budget %.0f ms)\n",
                     elapsed, size, budgetMs());
        std::abort();
    }
    // Over the markup limits nothing is parsed; within them there is always a text.
    check(result.has_value() == withinMarkupLimits(html), "refused exactly over the limits");
    if (!result)
        return 0;
    const QString &text = *result;
    check(text == text.trimmed(), "the text is trimmed");
    for (const QChar c : text)
        check(c.unicode() >= 0x20 || c == u'\n' || c == u'\t', "no control characters");
    check(codePointLength(text) <= text.size(), "code points never outnumber UTF-16 units");
    return 0;
}
