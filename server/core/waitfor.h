// SPDX-License-Identifier: MIT
#pragma once

#include <QCoreApplication>
#include <QEventLoop>
#include <QFuture>

namespace flippdeal::server {

//! \brief The result of `future`, turning this thread's event loop until it is ready.
//!
//! For callers outside the serving path that need a writer's answer in line: the demo seed
//! (run before the server serves) and tests. A write handed to the writer thread ends through
//! this thread's event loop (Writer::finishCommitted()), so blocking on the future instead
//! would wait forever. Never call it from a request handler: it would serve other requests
//! inside the handler.
template <typename T>
T waitFor(QFuture<T> future)
{
    while (!future.isFinished())
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    return future.result();
}

} // namespace flippdeal::server
