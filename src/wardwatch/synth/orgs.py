"""The synthetic trusts: the focal trust ZFV and its 14 peers, their sites and their character.

All names and codes are fictional (codes start with Z, which NHS ODS does not use for acute
trusts). Each trust has a fixed profile, the same for every seed, so peers differ in a stable
way (size, speed of the ED, timeliness) and the seed only changes the random patient-level draws.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from wardwatch.synth.signals import FOCAL_ORG


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    kind: str  # "acute" | "community"
    ed_type: int | None  # department type of the site's ED (1 major ED, 3 UTC/MIU), None: no ED
    ed_share: float  # share of the trust's ED attendances seen at this site
    imaging_share: float  # share of the trust's imaging requests done at this site
    inpatient_share: float  # share of the trust's admissions and sepsis episodes at this site


@dataclass(frozen=True)
class OrgProfile:
    """A trust and the fixed parameters that make it different from its peers."""

    code: str
    name: str
    size: float  # relative activity (1.0 = an average trust)
    sites: tuple[Site, ...]
    ed_los_factor: float  # multiplies time in the ED: >1 slower, fewer within 4 hours
    triage_median_min: float  # median minutes from arrival to initial assessment
    abx_1h: float  # share of NEWS2 >= 7 sepsis patients given antibiotics within 1 hour
    inpatient_imaging_24h: float  # share of inpatient imaging requests scanned within 24 hours
    training_lateness: float  # mean late renewal gap as a fraction of the course's validity
    fill_rate: float  # staff in post / establishment
    irmer_missing: float  # share of IR(ME)R entitlements never recorded

    @property
    def is_focal(self) -> bool:
        return self.code == FOCAL_ORG

    @property
    def main_site(self) -> Site:
        return self.sites[0]


def _acute(code: str, name: str, ed_share: float = 1.0, imaging: float = 1.0, inpatient: float = 1.0) -> Site:
    return Site(code, name, "acute", 1, ed_share, imaging, inpatient)


def _peer(
    n: int,
    name: str,
    size: float,
    sites: tuple[tuple[str, str, float, float, float, int | None], ...],
    los: float,
    triage: float,
    abx: float,
    img: float,
    late: float,
    fill: float,
    irmer_missing: float,
) -> OrgProfile:
    code = f"ZP{n:02d}"
    built = []
    for i, (site_name, kind, ed_share, imaging_share, inpatient_share, ed_type) in enumerate(sites, start=1):
        built.append(
            Site(f"{code}{i:02d}", site_name, kind, ed_type, ed_share, imaging_share, inpatient_share)
        )
    return OrgProfile(code, name, size, tuple(built), los, triage, abx, img, late, fill, irmer_missing)


FOCAL = OrgProfile(
    code=FOCAL_ORG,
    name="Fenvale Hospitals NHS Trust",
    size=1.6,
    sites=(
        Site("ZFV01", "Fenvale Royal Hospital", "acute", 1, 0.86, 0.82, 0.93),
        Site("ZFV02", "Wrenford Community Hospital", "community", 3, 0.14, 0.18, 0.07),
    ),
    ed_los_factor=1.06,
    triage_median_min=8.5,
    abx_1h=0.75,  # overridden over time by signal 1
    inpatient_imaging_24h=0.65,  # overridden over time by signal 2
    training_lateness=0.30,
    fill_rate=0.91,
    irmer_missing=0.10,
)

_A = "acute"
_C = "community"

PEERS: tuple[OrgProfile, ...] = (
    _peer(
        1,
        "Ashcombe University Hospitals NHS Foundation Trust",
        1.9,
        (
            ("Ashcombe General Hospital", _A, 0.8, 0.7, 0.8, 1),
            ("Ashcombe St Clare's Hospital", _A, 0.2, 0.3, 0.2, 3),
        ),
        0.95,
        7.0,
        0.80,
        0.82,
        0.22,
        0.94,
        0.04,
    ),
    _peer(
        2,
        "Brackenford Hospitals NHS Trust",
        0.7,
        (("Brackenford District Hospital", _A, 1.0, 1.0, 1.0, 1),),
        1.02,
        9.0,
        0.72,
        0.78,
        0.28,
        0.90,
        0.06,
    ),
    _peer(
        3,
        "Calderwick and Moss Valley NHS Foundation Trust",
        1.2,
        (("Calderwick Infirmary", _A, 0.65, 0.6, 0.7, 1), ("Moss Valley Hospital", _A, 0.35, 0.4, 0.3, 1)),
        0.98,
        7.5,
        0.78,
        0.85,
        0.20,
        0.95,
        0.03,
    ),
    _peer(
        4,
        "Dunmere Health NHS Trust",
        0.6,
        (("Dunmere Hospital", _A, 1.0, 1.0, 1.0, 1),),
        0.92,
        6.5,
        0.82,
        0.86,
        0.18,
        0.96,
        0.02,
    ),
    _peer(
        5,
        "Eastholme Teaching Hospitals NHS Foundation Trust",
        1.7,
        (
            ("Eastholme Royal Infirmary", _A, 0.75, 0.8, 0.85, 1),
            ("Eastholme Urgent Care Centre", _C, 0.25, 0.2, 0.15, 3),
        ),
        1.08,
        9.5,
        0.70,
        0.76,
        0.32,
        0.89,
        0.07,
    ),
    _peer(
        6,
        "Farrowby Hospitals NHS Trust",
        0.9,
        (("Farrowby General Hospital", _A, 1.0, 1.0, 1.0, 1),),
        1.00,
        8.0,
        0.76,
        0.80,
        0.25,
        0.92,
        0.05,
    ),
    _peer(
        7,
        "Greyminster Hospitals NHS Trust",
        1.1,
        (
            ("Greyminster Royal Hospital", _A, 0.9, 0.85, 0.9, 1),
            ("Greyminster Minor Injuries Unit", _C, 0.1, 0.15, 0.1, 3),
        ),
        1.04,
        8.5,
        0.74,
        0.79,
        0.26,
        0.91,
        0.05,
    ),
    _peer(
        8,
        "Hollinsby NHS Foundation Trust",
        0.8,
        (("Hollinsby Hospital", _A, 1.0, 1.0, 1.0, 1),),
        0.94,
        7.0,
        0.79,
        0.84,
        0.21,
        0.94,
        0.03,
    ),
    _peer(
        9,
        "Ivelthorpe and Kestrel Bay Hospitals NHS Trust",
        1.4,
        (
            ("Ivelthorpe General Hospital", _A, 0.6, 0.55, 0.6, 1),
            ("Kestrel Bay Hospital", _A, 0.4, 0.45, 0.4, 1),
        ),
        1.10,
        10.0,
        0.71,
        0.77,
        0.30,
        0.88,
        0.08,
    ),
    _peer(
        10,
        "Jarrowmoor Hospitals NHS Trust",
        0.5,
        (("Jarrowmoor Hospital", _A, 1.0, 1.0, 1.0, 1),),
        0.96,
        7.5,
        0.77,
        0.81,
        0.24,
        0.93,
        0.04,
    ),
    _peer(
        11,
        "Kingsreach University Hospitals NHS Foundation Trust",
        2.0,
        (
            ("Kingsreach University Hospital", _A, 0.85, 0.75, 0.85, 1),
            ("Kingsreach Community Hospital", _C, 0.15, 0.25, 0.15, 3),
        ),
        1.00,
        8.0,
        0.77,
        0.83,
        0.23,
        0.93,
        0.04,
    ),
    _peer(
        12,
        "Lowbridge NHS Trust",
        0.6,
        (("Lowbridge District General Hospital", _A, 1.0, 1.0, 1.0, 1),),
        1.05,
        9.0,
        0.73,
        0.79,
        0.29,
        0.90,
        0.06,
    ),
    _peer(
        13,
        "Marrowdale Hospitals NHS Foundation Trust",
        1.0,
        (
            ("Marrowdale General Hospital", _A, 1.0, 0.8, 1.0, 1),
            ("Marrowdale Diagnostic Centre", _C, 0.0, 0.2, 0.0, None),
        ),
        0.97,
        7.0,
        0.79,
        0.82,
        0.22,
        0.94,
        0.03,
    ),
    _peer(
        14,
        "Northwick Valley Hospitals NHS Trust",
        0.8,
        (("Northwick Valley Hospital", _A, 1.0, 1.0, 1.0, 1),),
        1.01,
        8.5,
        0.75,
        0.80,
        0.26,
        0.92,
        0.05,
    ),
)

ORGS: tuple[OrgProfile, ...] = (FOCAL, *PEERS)
ORG_CODES: tuple[str, ...] = tuple(o.code for o in ORGS)
ALL_SITES: tuple[tuple[int, Site], ...] = tuple((i, s) for i, o in enumerate(ORGS) for s in o.sites)


def org(code: str) -> OrgProfile:
    for o in ORGS:
        if o.code == code:
            return o
    raise KeyError(f"no synthetic trust {code!r}")


def organisations_rows() -> list[dict[str, object]]:
    """One row per site: org_code, org_name, site_code, site_name, site_type, ed_department_type,
    is_focal, size."""
    rows = []
    for o in ORGS:
        for s in o.sites:
            rows.append(
                {
                    "org_code": o.code,
                    "org_name": o.name,
                    "site_code": s.code,
                    "site_name": s.name,
                    "site_type": s.kind,
                    "ed_department_type": "" if s.ed_type is None or s.ed_share == 0 else s.ed_type,
                    "is_focal": o.is_focal,
                    "size": o.size,
                }
            )
    return rows


def write_organisations(path: Path) -> Path:
    rows = organisations_rows()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()}
            )
    return path
