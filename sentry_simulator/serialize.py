"""JSON shapes of organizations, projects and client keys (issues, releases: ``serialize_issues``).

Each function returns the body Sentry documents for the object: every field the OpenAPI schema
marks required, with its type (project and organization ids are strings). ``base`` is the
simulator's URL (``http://127.0.0.1:N``), used for organization links and DSNs.
"""

from __future__ import annotations

from .clock import iso
from .data import SimulatorData
from .model import ClientKey, JsonDict, Organization, Project

ORG_FEATURES = ["discover-basic", "event-attachments", "release-health"]
PROJECT_BOOLS = (
    *("firstTransactionEvent", "hasFeedbacks", "hasFlags", "hasMinifiedStackTrace"),
    *("hasMonitors", "hasNewFeedbacks", "hasProfiles", "hasReplays", "hasInsightsHttp"),
    *("hasInsightsDb", "hasInsightsAssets", "hasInsightsAppStart", "hasInsightsScreenLoad"),
    *("hasInsightsVitals", "hasInsightsCaches", "hasInsightsQueues", "hasInsightsAgentMonitoring"),
    *("hasInsightsMCP", "hasLogs", "hasTraceMetrics", "hasUserReports"),
)
AVATAR: JsonDict = {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None}
TEAM: JsonDict = {"id": "1", "name": "Frontend", "slug": "frontend"}


def organization(org: Organization, base: str, scopes: tuple[str, ...] = ()) -> JsonDict:
    """An organization (list item and detail share this shape)."""
    return {
        "id": str(org.id),
        "slug": org.slug,
        "name": org.name,
        "status": {"id": "active", "name": "active"},
        "dateCreated": iso(org.date_created),
        "isEarlyAdopter": False,
        "require2FA": False,
        "avatar": dict(AVATAR),
        "links": {"organizationUrl": base, "regionUrl": base},
        "hasAuthProvider": False,
        "allowMemberInvite": True,
        "allowMemberProjectCreation": True,
        "allowSuperuserAccess": False,
        "features": list(ORG_FEATURES),
        "access": list(scopes),
    }


def _latest_release(data: SimulatorData, project: Project) -> JsonDict | None:
    mine = [r for r in data.releases.values() if project.id in r.projects]
    if not mine:
        return None
    return {"version": max(mine, key=lambda r: (r.date_created, r.id)).version}


def project_summary(data: SimulatorData, project: Project, scopes: tuple[str, ...]) -> JsonDict:
    """A project as ``GET /organizations/{org}/projects/`` lists it."""
    body: JsonDict = {
        "id": str(project.id),
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "platforms": [project.platform] if project.platform else [],
        "dateCreated": iso(project.date_created),
        "isBookmarked": False,
        "isMember": True,
        "hasAccess": True,
        "features": ["releases", "similarity-indexing"],
        "firstEvent": iso(project.first_event),
        "access": list(scopes),
        "hasSessions": any(project.id in r.health for r in data.releases.values()),
        "team": dict(TEAM),
        "teams": [dict(TEAM)],
        "environments": ["production", "staging"],
        "latestRelease": _latest_release(data, project),
    }
    body.update(dict.fromkeys(PROJECT_BOOLS, False))
    body["hasMinifiedStackTrace"] = project.platform == "javascript"
    return body


def project_detail(
    data: SimulatorData, project: Project, base: str, scopes: tuple[str, ...]
) -> JsonDict:
    """A project as ``GET /projects/{org}/{project}/`` returns it."""
    body = project_summary(data, project, scopes)
    body.update(
        {
            "isInternal": False,
            "isPublic": False,
            "avatar": dict(AVATAR),
            "color": "#3f70bf",
            "status": "active",
            "options": {},
            "digestsMinDelay": 300,
            "digestsMaxDelay": 1800,
            "subjectPrefix": "",
            "allowedDomains": ["*"],
            "resolveAge": 0,
            "dataScrubber": True,
            "dataScrubberDefaults": True,
            "safeFields": [],
            "storeCrashReports": None,
            "sensitiveFields": [],
            "subjectTemplate": "$shortID - $title",
            "securityToken": "0" * 32,
            "securityTokenHeader": None,
            "verifySSL": False,
            "scrubIPAddresses": True,
            "scrapeJavaScript": True,
            "enableAutoReleaseCreation": True,
            "highlightTags": [],
            "highlightContext": {},
            "highlightPreset": {"tags": [], "context": {}},
            "groupingConfig": "newstyle:2023-01-11",
            "derivedGroupingEnhancements": "",
            "groupingEnhancements": "",
            "secondaryGroupingExpiry": 0,
            "secondaryGroupingConfig": None,
            "fingerprintingRules": "",
            "organization": organization(data.organizations[project.org], base),
            "processingIssues": 0,
            "defaultEnvironment": None,
            "relayPiiConfig": None,
            "builtinSymbolSources": [],
            "dynamicSamplingBiases": None,
            "symbolSources": "[]",
            "isDynamicallySampled": False,
            "tempestFetchScreenshots": False,
            "autofixAutomationTuning": "off",
            "seerScannerAutomation": False,
            "seerNightshiftTweaks": None,
            "scmSourceContextEnabled": False,
            "debugFilesRole": None,
        }
    )
    return body


def dsn(key: ClientKey, base: str) -> str:
    """``http://<public>@127.0.0.1:<port>/<project_id>`` (``https://<public>@<ingest_host>/…``
    when the key names Sentry's ingest host)."""
    if key.ingest_host:
        return f"https://{key.public}@{key.ingest_host}/{key.project_id}"
    scheme, _, host = base.partition("://")
    return f"{scheme}://{key.public}@{host}/{key.project_id}"


def client_key(key: ClientKey, base: str) -> JsonDict:
    """A client key with its DSN built from the simulator's own URL."""
    public = dsn(key, base)
    scheme, _, host = base.partition("://")
    api = f"{base}/api/{key.project_id}"
    return {
        "id": key.public,  # real Sentry: a key's id is its public key
        "name": key.name,
        "label": key.name,
        "public": key.public,
        "secret": key.secret,
        "projectId": key.project_id,
        "isActive": key.is_active,
        "rateLimit": None,
        "dsn": {
            "secret": f"{scheme}://{key.public}:{key.secret}@{host}/{key.project_id}",
            "public": public,
            "csp": f"{api}/csp-report/?sentry_key={key.public}",
            "security": f"{api}/security/?sentry_key={key.public}",
            "minidump": f"{api}/minidump/?sentry_key={key.public}",
            "nel": f"{api}/nel/?sentry_key={key.public}",
            "unreal": f"{api}/unreal/{key.public}/",
            "crons": f"{api}/cron/___MONITOR_SLUG___/{key.public}/",
            "cdn": f"{base}/js-sdk-loader/{key.public}.min.js",
            "playstation": f"{api}/playstation/?sentry_key={key.public}",
            "integration": f"{api}/integration/",
            "otlp_traces": f"{api}/integration/otlp/v1/traces",
            "otlp_logs": f"{api}/integration/otlp/v1/logs",
        },
        "browserSdkVersion": "8.x",
        "browserSdk": {"choices": [["latest", "latest"], ["8.x", "8.x"]]},
        "dateCreated": iso(key.date_created),
        "dynamicSdkLoaderOptions": {
            "hasReplay": False,
            "hasPerformance": False,
            "hasDebug": False,
            "hasFeedback": False,
            "hasLogsAndMetrics": False,
        },
        "useCase": "user",
    }
