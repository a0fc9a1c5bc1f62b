// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <utility>

namespace flippdeal::client {

//! \brief Drops the answers to requests made before the last reset(): a model that switches to
//! another conversation or auction, or a session that starts another sign-in, ignores what was
//! still on its way for the old one.
//!
//! \code
//! m_api.get(this, path, m_requests.guard([this](const ApiResult &result) { ... }));
//! \endcode
//! The guarded handler must not outlive this object (pass its owner as the context object).
class RequestGeneration
{
public:
    //! Forgets every request in flight.
    void reset() { ++m_current; }

    //! `handler`, run only if reset() was not called between now and the answer.
    template <typename Handler>
    auto guard(Handler handler) const
    {
        return [this, asked = m_current, handler = std::move(handler)](auto &&...answer) {
            if (asked == m_current)
                handler(std::forward<decltype(answer)>(answer)...);
        };
    }

private:
    quint64 m_current = 0;
};

} // namespace flippdeal::client
