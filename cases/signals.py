"""Facts that `cases` announces. Always sent after the transaction commits (see services).

Listeners (the `escalation` app) receive `case_id` and plain values, never a locked instance.
"""

from django.dispatch import Signal

# case_id, received_at, risk_level
case_created = Signal()
# case_id, transition, from_state, to_state, at
case_transitioned = Signal()
# case_id, old_level, new_level, reason, actor_id
case_risk_changed = Signal()
# case_id, level, reason: triage proposes a higher level on a case a person overrode
case_risk_suggested = Signal()
# case_id, kind, text, customer_info (True: new information from the customer; False: the desk's
# internal note)
case_note_added = Signal()
# case_id, fields (sorted names of the descriptive fields that changed: title, channel, amount...)
case_details_changed = Signal()
