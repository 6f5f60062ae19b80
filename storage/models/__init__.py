"""All models, importable from one place (and registered on ``Base.metadata``)."""
from .base import Base, UTCDateTime
from .concern import AuditEntry, CategoryCorrection, Concern, ConcernKey, MessageLink, SourceMessage, Support
from .delivery import Menu, OutboxMessage, ScheduledJob, StoredFile
from .deliberation import Comment, Deliberation, Option, Outcome, Vote
from .inbox import InboundUpdate
from .learning import TrainedModel
from .followup import Assignment, ProgressNote, Proposal, Survey, SurveyResponse
from .org import Chat, Grid, Identity, Person, PersonRole
from .pacing import SendPacing

__all__ = [
    "Assignment", "AuditEntry", "Base", "CategoryCorrection", "Chat", "ConcernKey", "Comment", "Concern", "Deliberation", "Grid",
    "Identity", "InboundUpdate", "Menu", "MessageLink", "Option", "OutboxMessage", "Outcome", "Person", "PersonRole",
    "ProgressNote", "Proposal", "ScheduledJob", "SendPacing", "SourceMessage", "StoredFile", "Support", "Survey",
    "SurveyResponse", "TrainedModel", "UTCDateTime", "Vote",
]
