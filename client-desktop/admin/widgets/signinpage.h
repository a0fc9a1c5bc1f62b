// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QVBoxLayout;

namespace flippdeal::admin {

class AdminConsole;

//! \brief The sign-in page: server address, email and password of an administrator, and the
//! reason the last attempt failed ("This account is not an administrator." among them).
class SignInPage : public QWidget
{
    Q_OBJECT

public:
    explicit SignInPage(AdminConsole &console, QWidget *parent = nullptr);

    void setServer(const QString &server);
    void setEmail(const QString &email);
    //! Focuses the first empty field.
    void focusFirstEmpty();
    QString errorText() const;

private:
    //! The logo, the title and the subtitle.
    void addHeader(QVBoxLayout *layout, QWidget *card);
    //! The fields, the error line and the button.
    void addForm(QVBoxLayout *layout, QWidget *card);
    void submit();
    void updateState();

    AdminConsole &m_console;
    QLineEdit *m_server = nullptr;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QPushButton *m_signIn = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_busy = nullptr;
};

} // namespace flippdeal::admin
