"""The JSON API's URLs; the public path is :mod:`gargoyle.urls`."""

from django.urls import path

from gargoyle._web import api, bulk, history_api, rollouts_api, schedules_api

#: The URL namespace: ``reverse("gargoyle:status")``.
app_name = "gargoyle"

#: The endpoints, each a view of the JSON API (see the module's description).
urlpatterns = [
    path("add/", api.add, name="add"),
    path("update/", api.update, name="update"),
    path("status/", api.status, name="status"),
    path("status/bulk/", bulk.bulk_status, name="bulk-status"),
    path("delete/", api.delete, name="delete"),
    path("conditions/add/", api.add_condition, name="add-condition"),
    path("conditions/remove/", api.remove_condition, name="remove-condition"),
    path("switches/", api.switches, name="switches"),
    path("preview/", api.preview, name="preview"),
    path("audience/", api.audience_count, name="audience"),
    path("history/", history_api.history, name="history"),
    path("history/restore/", history_api.restore_change, name="restore"),
    path("history/undo/", history_api.undo_change, name="undo"),
    path("history/undo/bulk/", bulk.bulk_undo, name="bulk-undo"),
    path("upgrade/reviewed/", api.mark_reviewed, name="mark-reviewed"),
    path("schedules/", schedules_api.schedules, name="schedules"),
    path("schedules/add/", schedules_api.add_schedule, name="add-schedule"),
    path("schedules/edit/", schedules_api.edit_schedule, name="edit-schedule"),
    path("schedules/cancel/", schedules_api.cancel_schedule, name="cancel-schedule"),
    path("rollouts/", rollouts_api.rollouts_of, name="rollouts"),
    path("rollouts/start/", rollouts_api.start, name="start-rollout"),
    path("rollouts/pause/", rollouts_api.pause, name="pause-rollout"),
    path("rollouts/resume/", rollouts_api.resume, name="resume-rollout"),
    path("rollouts/advance/", rollouts_api.advance, name="advance-rollout"),
    path("rollouts/abort/", rollouts_api.abort, name="abort-rollout"),
]
