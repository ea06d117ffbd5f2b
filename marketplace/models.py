"""Imports every model module so metadata is complete (migrations, create_all in tests)."""
from .accounts.models import User  # noqa: F401
from .catalog.models import (  # noqa: F401
    Area,
    AreaAlias,
    Category,
    OcopCertification,
    Product,
    ProductPhoto,
    RuralIndustryRecognition,
)
from .inquiries.models import Inquiry, InquiryItem, InquiryStatusChange  # noqa: F401
from .sellers.models import Seller  # noqa: F401
from .web.ratelimit import RateLimitCounter  # noqa: F401
from .search.outbox import SearchOutbox  # noqa: F401
from .search.index_state import SearchIndexState  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .search.synonyms import Synonym  # noqa: F401
from .collections.models import Collection, CollectionItem  # noqa: F401
from .analytics.models import (  # noqa: F401
    DailyCount,
    DailySalt,
    SearchClick,
    SearchDaily,
    SearchEvent,
    SearchVisitorMark,
    Setting,
    TotalCount,
    VisitorMark,
)
from .catalog.models import ProductRevision  # noqa: F401,E402
from .staff.models import CertificateReminder  # noqa: F401,E402
from .media.models import UploadEvent  # noqa: F401
from .catalog.generation import CacheScope, CatalogGeneration  # noqa: F401,E402
from .jobs.models import JobLease, JobRun  # noqa: F401,E402
from .alerts.models import AlertDigest, AlertSubscriber, AlertSubscription  # noqa: F401,E402
