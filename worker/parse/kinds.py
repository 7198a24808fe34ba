"""Map the kind/category words documents use (five languages) onto the fixed vocabulary `models.KINDS`."""

from __future__ import annotations

from worker.models import KINDS
from worker.parse.sections import fold

# Folded words (see sections.fold) -> kind. Matched on the whole value, then on each of its words.
_WORDS: dict[str, str] = {}
for _kind, _words in {
    "prevent": "prevent prevents prevention preventive preventative preventing prevenir prevencion preventiva"
    " preventivo preventivas preventivos prevencao vorbeugung vorbeugend vorbeugende pravention praventiv"
    " praventive vermeidung verhindern prevention preventif preventive eviter avoid avoidance hardening",
    "detect": "detect detects detection detecting monitor monitoring alert alerting alerts observability"
    " deteccion detectar monitoreo monitorizacion alertas deteccao monitoramento erkennung erkennen"
    " uberwachung monitoring alarmierung detection detecter surveillance supervision",
    "mitigate": "mitigate mitigates mitigation mitigating mitigar mitigacion mitigacao minderung mindern"
    " abschwachung eindammung attenuation attenuer mitiger containment contain resilience",
    "process": "process processes procedure procedures policy runbook documentation training communication"
    " proceso procesos procedimiento procesual processo processos procedimento prozess prozesse verfahren"
    " ablauf processus procedure organisationnel organisation",
    "repair": "repair repairs fix fixes fixing remediate remediation corrective correction bugfix"
    " reparar reparacion correccion correctiva correctivo correctivas reparo correcao corretiva corretivo"
    " reparatur behebung beheben korrektur korrigieren fehlerbehebung korrekturmassnahme reparation"
    " reparer correctif corrective corriger",
    "investigate": "investigate investigates investigation investigating research analysis analyse spike"
    " followup investigar investigacion analisis investigacao analise untersuchung untersuchen analysieren"
    " enquete investiguer analyser",
}.items():
    for _word in _words.split():
        _WORDS[_word] = _kind
_MAX_KIND_CHARS = 60


def normalise_kind(raw: str | None) -> str | None:
    """The KINDS word for a document's kind/category value ("Prevention" -> "prevent"), or None."""
    if not raw or len(raw) > _MAX_KIND_CHARS:
        return None
    folded = fold(raw)
    if folded in KINDS:
        return folded
    if folded in _WORDS:
        return _WORDS[folded]
    for word in folded.split():
        if word in _WORDS:
            return _WORDS[word]
    return None


def is_kind_label(text: str) -> bool:
    """Whether a short line or heading is only a kind category ("Detect", "Prévention", "Mitigation:")."""
    folded = fold(text)
    return (
        bool(folded)
        and len(folded.split()) <= 2
        and normalise_kind(text) is not None
        and (folded in _WORDS or folded in KINDS or all(w in _WORDS for w in folded.split()))
    )
