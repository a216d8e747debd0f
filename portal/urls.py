from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import Http404
from django.urls import include, path

from portal import api
from portal.views import (
    accessibility,
    api_clients,
    audit_log,
    charges,
    duplicates,
    exits,
    general_tasks,
    identifiers,
    incidents,
    instructions,
    intake,
    legal_orders,
    letters,
    notifications,
    patient,
    patient_access,
    practice_documents,
    practices,
    queue_export,
    recipients,
    register,
    reports,
    signin,
    staff,
    staff_entry,
    standard_texts,
    subprocessor_changes,
    task_results,
    tasks,
    team,
    webhooks,
)

intake_urls = (
    [
        path("", intake.start, name="start"),
        path("request/other/", intake.details, name="details_other"),
        path("request/confirm/", intake.confirm, name="confirm"),
        path("request/confirm/resend/", intake.resend, name="resend"),
        path("request/done/", intake.done, name="done"),
        path("request/<str:agb_code>/", intake.details, name="details"),
    ],
    "intake",
)

staff_urls = (
    [
        path("", staff.queue, name="queue"),
        path("bulk/", staff.queue_bulk, name="queue_bulk"),
        path("export.csv", queue_export.queue_export, name="queue_export"),
        path("unrouted/", staff.unrouted, name="unrouted"),
        path("audit/", audit_log.search, name="audit"),
        path("incidents/", incidents.incident_list, name="incidents"),
        path("incidents/<int:pk>/", incidents.incident_detail, name="incident"),
        path("incidents/new/", incidents.incident_new, name="incident_new"),
        path("incidents/<int:pk>/update/", incidents.incident_update, name="incident_update"),
        path("incidents/<int:pk>/close/", incidents.incident_close, name="incident_close"),
        path(
            "incidents/<int:pk>/record/<str:step>/", incidents.incident_step, name="incident_step"
        ),
        path("audit/export.csv", audit_log.export, name="audit_export"),
        path("notifications/failed/", notifications.failed_list, name="failed_notifications"),
        path(
            "notifications/failed/<int:pk>/resend/",
            notifications.resend,
            name="resend_notification",
        ),
        path(
            "api-clients/<int:client_pk>/deliveries/",
            webhooks.delivery_log,
            name="webhook_deliveries",
        ),
        path(
            "api-clients/<int:client_pk>/deliveries/<str:event_id>/resend/",
            webhooks.resend,
            name="webhook_resend",
        ),
        path("subprocessors/", register.subprocessors, name="subprocessors"),
        path("register/", register.processing_register_start, name="processing_register_start"),
        path("register/<int:pk>/", register.processing_register, name="processing_register"),
        path(
            "register/<int:pk>/register.<str:fmt>",
            register.processing_register_file,
            name="processing_register_file",
        ),
        path(
            "subprocessor-changes/", subprocessor_changes.change_list, name="subprocessor_changes"
        ),
        path(
            "subprocessor-changes/new/",
            subprocessor_changes.announce,
            name="subprocessor_change_new",
        ),
        path(
            "subprocessor-changes/<int:pk>/",
            subprocessor_changes.change_detail,
            name="subprocessor_change",
        ),
        path(
            "subprocessor-changes/<int:pk>/withdraw/",
            subprocessor_changes.change_withdraw,
            name="subprocessor_change_withdraw",
        ),
        path(
            "subprocessor-changes/answers/<int:pk>/",
            subprocessor_changes.answer_detail,
            name="subprocessor_change_answer",
        ),
        path(
            "subprocessor-changes/answers/<int:pk>/submit/",
            subprocessor_changes.answer_submit,
            name="subprocessor_change_answer_submit",
        ),
        path("team/", team.team_start, name="team_start"),
        path("team/practice/<int:pk>/", team.team_page, name="team"),
        path("team/practice/<int:pk>/invite/", team.invite, name="team_invite"),
        path("team/invite-admin/", team.invite_admin, name="team_invite_admin"),
        path("team/invitations/<int:pk>/revoke/", team.revoke, name="team_revoke"),
        path("team/members/<int:pk>/remove/", team.remove, name="team_remove"),
        path("team/review/", team.review, name="team_review"),
        path("exits/", exits.exit_list, name="exits"),
        path("exits/start/<str:agb>/", exits.exit_start, name="exit_start"),
        path("exits/<int:pk>/", exits.exit_detail, name="exit"),
        path("exits/<int:pk>/export/", exits.exit_export, name="exit_export"),
        path("exits/<int:pk>/archive/", exits.exit_download, name="exit_download"),
        path("exits/<int:pk>/destroy/", exits.exit_destroy, name="exit_destroy"),
        path("exits/<int:pk>/steps/<int:step>/", exits.exit_step, name="exit_step"),
        path("exits/<int:pk>/certificate/", exits.exit_certificate, name="exit_certificate"),
        path(
            "exits/<int:pk>/certificate.json",
            exits.exit_certificate_json,
            name="exit_certificate_json",
        ),
        path("requests/new/", staff_entry.new_request, name="entry_new"),
        path("requests/<str:reference>/", staff.detail, name="detail"),
        path("requests/<str:reference>/send-back/", staff_entry.send_back, name="send_back"),
        path("requests/<str:reference>/act/<str:action>/", staff.act, name="act"),
        path("requests/<str:reference>/assign/", staff.assign, name="assign"),
        path("requests/<str:reference>/message/", staff.message, name="message"),
        path("requests/<str:reference>/route/", staff.route, name="route"),
        path("requests/<str:reference>/duplicate/", duplicates.compare, name="duplicate"),
        path("requests/<str:reference>/duplicate/merge/", duplicates.merge, name="duplicate_merge"),
        path("requests/<str:reference>/duplicate/keep/", duplicates.keep, name="duplicate_keep"),
        path("requests/<str:reference>/incident/", incidents.classify, name="classify"),
        path("requests/<str:reference>/assist/", tasks.ask, name="ask"),
        path(
            "requests/<str:reference>/no-processor-data/",
            recipients.no_processor_data,
            name="no_processor_data",
        ),
        path(
            "requests/<str:reference>/recipients/add/",
            recipients.recipient_add,
            name="recipient_add",
        ),
        path(
            "requests/<str:reference>/recipients/<str:key>/<str:outcome>/",
            recipients.recipient_done,
            name="recipient_done",
        ),
        path(
            "requests/<str:reference>/documents/",
            practice_documents.upload,
            name="documents_upload",
        ),
        path(
            "requests/<str:reference>/documents/release/",
            practice_documents.release,
            name="documents_release",
        ),
        path(
            "requests/<str:reference>/documents/<int:pk>/",
            practice_documents.download,
            name="document",
        ),
        path(
            "requests/<str:reference>/documents/<int:pk>/remove/",
            practice_documents.remove,
            name="document_remove",
        ),
        path("requests/<str:reference>/letters/<str:key>/", letters.staff_letter, name="letter"),
        path(
            "requests/<str:reference>/letters/<str:key>/pdf/",
            letters.staff_letter_pdf,
            name="letter_pdf",
        ),
        path("tasks/", tasks.task_list, name="tasks"),
        path("tasks/<int:pk>/", tasks.task_detail, name="task"),
        path("tasks/<int:pk>/act/<str:action>/", tasks.task_act, name="task_act"),
        path("tasks/<int:pk>/lookup/", tasks.task_lookup, name="task_lookup"),
        path("tasks/<int:pk>/steps/<int:step>/", tasks.task_step, name="task_step"),
        path(
            "tasks/<int:pk>/identifiers/",
            identifiers.identifier_record,
            name="identifier_record",
        ),
        path(
            "tasks/<int:pk>/identifiers/<int:extra>/<str:outcome>/",
            identifiers.identifier_decide,
            name="identifier_decide",
        ),
        path("tasks/<int:pk>/package/build/", tasks.package_build, name="package_build"),
        path(
            "tasks/<int:pk>/package/download/",
            task_results.package_download,
            name="package_download",
        ),
        path(
            "tasks/<int:pk>/package/release/", task_results.package_release, name="package_release"
        ),
        path("tasks/<int:pk>/erase/", task_results.erase, name="erase"),
        path("tasks/<int:pk>/certificate/", task_results.certificate_page, name="certificate"),
        path(
            "tasks/<int:pk>/certificate/issue/",
            task_results.certificate_issue,
            name="certificate_issue",
        ),
        path(
            "tasks/<int:pk>/certificate.json",
            task_results.certificate_json,
            name="certificate_json",
        ),
        # The instruction's objection (agreement art. 3.3) and time (art. 9), on either kind of
        # task: "tasks" (an assistance task) or "general".
        path(
            "<str:kind>/<int:pk>/instruction/<str:action>/",
            instructions.act,
            name="instruction_act",
        ),
        path("<str:kind>/<int:pk>/time/", charges.record, name="time_record"),
        path("general/", general_tasks.general_list, name="general_tasks"),
        path("general/new/", general_tasks.general_new, name="general_new"),
        path("general/<int:pk>/", general_tasks.general_detail, name="general"),
        path("general/<int:pk>/act/<str:action>/", general_tasks.general_act, name="general_act"),
        path("orders/", legal_orders.order_list, name="orders"),
        path("orders/new/", legal_orders.order_new, name="order_new"),
        path("orders/<int:pk>/", legal_orders.order_detail, name="order"),
        path("orders/<int:pk>/act/<str:action>/", legal_orders.order_act, name="order_act"),
        path("charges/", charges.statement, name="statement"),
        path("charges/statement.csv", charges.statement_csv, name="statement_csv"),
        path("texts/", standard_texts.start, name="standard_texts_start"),
        path("texts/<int:practice>/", standard_texts.text_list, name="standard_texts"),
        path(
            "texts/<int:practice>/new/<str:kind>/",
            standard_texts.text_new,
            name="standard_text_new",
        ),
        path(
            "texts/<int:practice>/adopt/<str:key>/",
            standard_texts.adopt,
            name="standard_text_adopt",
        ),
        path("texts/edit/<int:pk>/", standard_texts.text_detail, name="standard_text"),
        path(
            "texts/edit/<int:pk>/remove/",
            standard_texts.text_remove,
            name="standard_text_remove",
        ),
        # Practices: the processor administrator's list, form and CSV import; a practice
        # administrator's own settings.
        path("practices/", practices.practice_list, name="practices"),
        path("practices/new/", practices.practice_new, name="practice_new"),
        path("practices/import/", practices.practice_import, name="practice_import"),
        path(
            "practices/import/preview/",
            practices.practice_import_preview,
            name="practice_import_preview",
        ),
        path(
            "practices/import/confirm/",
            practices.practice_import_confirm,
            name="practice_import_confirm",
        ),
        path(
            "practices/import/report/",
            practices.practice_import_report,
            name="practice_import_report",
        ),
        path(
            "practices/import/report.csv",
            practices.practice_import_report_csv,
            name="practice_import_report_csv",
        ),
        path("practices/<str:agb>/", practices.practice_detail, name="practice"),
        path("practices/<str:agb>/edit/", practices.practice_edit, name="practice_edit"),
        # The patient app's API clients: the processor administrator's list, a client's keys,
        # webhook, secret and quotas.
        path("api-clients/", api_clients.client_list, name="api_clients"),
        path("api-clients/new/", api_clients.client_new, name="api_client_new"),
        path("api-clients/<int:pk>/", api_clients.client_detail, name="api_client"),
        path("api-clients/<int:pk>/keys/new/", api_clients.key_new, name="api_client_key_new"),
        path(
            "api-clients/<int:pk>/keys/<int:key_pk>/revoke/",
            api_clients.key_revoke,
            name="api_client_key_revoke",
        ),
        path("api-clients/<int:pk>/webhook/", api_clients.webhook, name="api_client_webhook"),
        path("api-clients/<int:pk>/secret/", api_clients.secret, name="api_client_secret"),
        path("api-clients/<int:pk>/quotas/", api_clients.quotas, name="api_client_quotas"),
        path(
            "api-clients/<int:pk>/deactivate/",
            api_clients.deactivate,
            name="api_client_deactivate",
        ),
        path("api-clients/<int:pk>/activate/", api_clients.activate, name="api_client_activate"),
        path("settings/", practices.own_settings_start, name="own_settings_start"),
        path("settings/<str:agb>/", practices.own_settings, name="own_settings"),
        path("reports/", reports.practice_report, name="report"),
        path("reports/<slug:table>.csv", reports.practice_report_csv, name="report_csv"),
        path("reports/processor/", reports.processor_report, name="processor_report"),
        path(
            "reports/processor/<slug:table>.csv",
            reports.processor_report_csv,
            name="processor_report_csv",
        ),
    ],
    "staff",
)

patient_urls = (
    [
        path("", patient.track, name="track"),
        path("link/", patient.broker_link, name="link"),
        path("link/<int:pk>/remove/", patient.broker_unlink, name="unlink"),
        path("<str:reference>/reply/", patient.reply, name="reply"),
        path("<str:reference>/withdraw/", patient.withdraw, name="withdraw"),
        path("<str:reference>/access/", patient_access.access_log, name="access_log"),
        path("<str:reference>/data/", patient.data_package, name="package"),
        path("<str:reference>/data/download/", patient.data_package_download, name="download"),
        path(
            "<str:reference>/data/documents/<int:pk>/",
            patient.data_package_download,
            name="document",
        ),
        path("<str:reference>/letters/<str:key>/", letters.patient_letter, name="letter"),
        path(
            "<str:reference>/letters/<str:key>/pdf/", letters.patient_letter_pdf, name="letter_pdf"
        ),
    ],
    "patient",
)

# The admin signs in through allauth too, so its second factor applies there as well.
admin.site.login = secure_admin_login(admin.site.login)


def not_found(request):
    raise Http404


urlpatterns = [
    path("", include(intake_urls)),
    path("staff/", include(staff_urls)),
    path("track/", include(patient_urls)),
    path("api/v1/", api.urls()),
    # Changing the account's e-mail address is not offered: a patient's address is their identity.
    path("accounts/email/", not_found),
    # Patients sign in by code and staff reset passwords through our own views: exact canonical
    # addresses, tries counted per account, and the same answer for known and unknown addresses.
    path("accounts/login/code/", signin.request_code, name="patient_signin"),
    path("accounts/login/code/confirm/", signin.confirm_code, name="patient_signin_confirm"),
    path("accounts/password/reset/", signin.password_reset, name="staff_password_reset"),
    path("accounts/password/set/", signin.not_for_patients(allauth_views.password_set)),
    path("accounts/password/change/", signin.not_for_patients(allauth_views.password_change)),
    # The link of a staff invitation: a password (or signing in to an account one has), then the
    # second factor.
    path("accounts/invitation/<str:token>/", team.accept, name="staff_invitation"),
    path("accounts/", include("allauth.urls")),
    path("toegankelijkheid/", accessibility.statement, name="accessibility"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
