// SPDX-License-Identifier: MIT
#include "reasondialog.h"

#include "ui_reasondialog.h"

#include <QPushButton>

namespace flippdeal::admin {

ReasonDialog::ReasonDialog(const QString &title, const QString &summary, const QString &actionText,
                           QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::ReasonDialog>())
{
    m_ui->setupUi(this);
    setWindowTitle(title);
    m_ui->summary->setText(summary);
    m_ui->buttons->button(QDialogButtonBox::Ok)->setText(actionText);
    m_ui->counter->setForegroundRole(QPalette::PlaceholderText);
    connect(m_ui->reason, &QPlainTextEdit::textChanged, this, &ReasonDialog::updateState);
    m_ui->reason->setFocus();
    updateState();
}

ReasonDialog::~ReasonDialog() = default;

QString ReasonDialog::reason() const
{
    return m_ui->reason->toPlainText().trimmed();
}

void ReasonDialog::updateState()
{
    const qsizetype length = reason().size();
    m_ui->counter->setText(tr("%1 / %2").arg(length).arg(MaxLength));
    m_ui->buttons->button(QDialogButtonBox::Ok)->setEnabled(length > 0 && length <= MaxLength);
}

QString ReasonDialog::ask(QWidget *parent, const QString &title, const QString &summary,
                          const QString &actionText)
{
    ReasonDialog dialog(title, summary, actionText, parent);
    if (dialog.exec() != QDialog::Accepted)
        return {};
    return dialog.reason();
}

} // namespace flippdeal::admin
