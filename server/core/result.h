// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <type_traits>
#include <utility>
#include <variant>

namespace flippdeal::server {

//! \brief A failure a client caused or may see: an HTTP status with a readable message and,
//! for 422, the failing fields. Services return it; the HTTP layer renders it as JSON.
struct ApiError
{
    int status = 400;
    QString message;
    QMap<QString, QStringList> errors; //!< field → messages, only for 422
    int retryAfterSeconds = 0;         //!< set for 429

    static ApiError badRequest(QString message) { return {400, std::move(message), {}, 0}; }
    static ApiError unauthenticated(QString message = QStringLiteral("Unauthenticated."))
    {
        return {401, std::move(message), {}, 0};
    }
    static ApiError forbidden(QString message = QStringLiteral("This action is unauthorized."))
    {
        return {403, std::move(message), {}, 0};
    }
    static ApiError notFound(QString message = QStringLiteral("Not found."))
    {
        return {404, std::move(message), {}, 0};
    }
    static ApiError conflict(QString message) { return {409, std::move(message), {}, 0}; }
    //! A 422 without field messages yet: add them with addFieldError().
    static ApiError unprocessable(QString message = {}) { return {422, std::move(message), {}, 0}; }
    static ApiError validation(const QString &field, const QString &message)
    {
        ApiError error = unprocessable();
        error.addFieldError(field, message);
        return error;
    }
    static ApiError tooManyRequests(int retryAfter)
    {
        return {429, QStringLiteral("Too many requests."), {}, retryAfter};
    }
    static ApiError internal(QString message = QStringLiteral("Internal server error."))
    {
        return {500, std::move(message), {}, 0};
    }

    //! Adds a message for `field`; the first one added is also `message`, unless it is set.
    void addFieldError(const QString &field, const QString &text);
    bool hasFieldErrors() const { return !errors.isEmpty(); }

    QJsonObject toJson() const;
};

//! \brief Either a value or an ApiError (std::expected is C++23).
template <typename T>
class Expected
{
public:
    Expected(T value)
        : m_value(std::move(value))
    {}
    Expected(ApiError error)
        : m_value(std::move(error))
    {}

    bool hasValue() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return hasValue(); }
    T &value() { return std::get<T>(m_value); }
    const T &value() const { return std::get<T>(m_value); }
    T &operator*() { return value(); }
    const T &operator*() const { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    const ApiError &error() const { return std::get<ApiError>(m_value); }

private:
    std::variant<T, ApiError> m_value;
};

template <typename T>
struct IsExpectedType : std::false_type
{};
template <typename T>
struct IsExpectedType<Expected<T>> : std::true_type
{};
//! An Expected<T> of some T.
template <typename T>
concept ExpectedType = IsExpectedType<std::remove_cvref_t<T>>::value;

//! \brief The value of an Expected that has nothing to return but success.
struct Done
{};

} // namespace flippdeal::server
