"""The words of every message, in English and Spanish, per channel.

Messages carry the least PHI possible: no test names, no therapy or
condition, no full names. An SMS says only what and when ("your lab visit
tomorrow, 9-11 AM") and where to read more; e-mail and the patient's page
add the place, how to prepare and the cost, which the patient needs to act.

Placeholders are filled by ``render``; a missing one is a programming error
(KeyError), never a silently blank message.
"""

from __future__ import annotations

from collections.abc import Mapping

from booking.program.models import Channel, MessageType

LANGUAGES = ("en", "es")

# type -> language -> (subject, long body for e-mail and the page, SMS body)
_TEXTS: dict[MessageType, dict[str, tuple[str, str, str]]] = {
    MessageType.MONTH_DUE: {
        "en": (
            "Your monthly lab visit for {month} is due",
            "Your monthly lab visit for {month} is due and nothing is booked yet. "
            "Book a service center, a home or office visit, or your provider's office: {link}",
            "labvisit: your monthly lab visit for {month} is due. Book at {link}",
        ),
        "es": (
            "Le corresponde su visita de laboratorio de {month}",
            "Le corresponde su visita mensual de laboratorio de {month} y aún no tiene cita. "
            "Reserve en un centro, en casa, en su oficina o con su proveedor: {link}",
            "labvisit: le corresponde su visita de laboratorio de {month}. Reserve en {link}",
        ),
    },
    MessageType.BOOKING_CONFIRMED: {
        "en": (
            "Your lab visit is booked: {when}",
            "Your lab visit is booked for {when} at {place}. {preparation} Cost: {cost}. "
            "Move or cancel it at {link}",
            "labvisit: your lab visit is booked for {when}. Details: {link}",
        ),
        "es": (
            "Su visita de laboratorio está reservada: {when}",
            "Su visita de laboratorio está reservada para {when} en {place}. {preparation} "
            "Costo: {cost}. Cámbiela o cancélela en {link}",
            "labvisit: su visita de laboratorio está reservada para {when}. Detalles: {link}",
        ),
    },
    MessageType.BOOKING_MOVED: {
        "en": (
            "Your lab visit has moved: {when}",
            "Your lab visit is now {when} at {place}. The earlier time no longer applies. {link}",
            "labvisit: your lab visit is now {when}. Details: {link}",
        ),
        "es": (
            "Su visita de laboratorio cambió: {when}",
            "Su visita de laboratorio ahora es {when} en {place}. La hora anterior ya no aplica. {link}",
            "labvisit: su visita de laboratorio ahora es {when}. Detalles: {link}",
        ),
    },
    MessageType.BOOKING_CANCELLED: {
        "en": (
            "Your lab visit was cancelled",
            "Your lab visit of {when} was cancelled. Your monthly tests are still due: book another "
            "time at {link}",
            "labvisit: your lab visit of {when} was cancelled. Book another time at {link}",
        ),
        "es": (
            "Su visita de laboratorio fue cancelada",
            "Su visita de laboratorio de {when} fue cancelada. Sus análisis mensuales siguen "
            "pendientes: reserve otra hora en {link}",
            "labvisit: su visita de laboratorio de {when} fue cancelada. Reserve otra en {link}",
        ),
    },
    MessageType.DAY_BEFORE: {
        "en": (
            "Reminder: your lab visit {when}",
            "Reminder: your lab visit is {when} at {place}. {preparation} Cost: {cost}. {link}",
            "labvisit: your lab visit {when}. Details: {link}",
        ),
        "es": (
            "Recordatorio: su visita de laboratorio {when}",
            "Recordatorio: su visita de laboratorio es {when} en {place}. {preparation} "
            "Costo: {cost}. {link}",
            "labvisit: su visita de laboratorio {when}. Detalles: {link}",
        ),
    },
    MessageType.ON_THE_WAY: {
        "en": (
            "Your technician is on the way",
            "Your lab technician is on the way and should arrive {window}. {link}",
            "labvisit: your technician is on the way, arriving {window}.",
        ),
        "es": (
            "Su técnico va en camino",
            "Su técnico de laboratorio va en camino y debería llegar {window}. {link}",
            "labvisit: su técnico va en camino, llega {window}.",
        ),
    },
    MessageType.MISSED_VISIT: {
        "en": (
            "We missed you at your lab visit",
            "Your lab visit of {when} did not take place. Your monthly tests are still due: "
            "book another time at {link} or call your nurse.",
            "labvisit: your lab visit of {when} was missed. Book again at {link}",
        ),
        "es": (
            "No pudimos realizar su visita de laboratorio",
            "Su visita de laboratorio de {when} no se realizó. Sus análisis mensuales siguen "
            "pendientes: reserve otra hora en {link} o llame a su enfermera.",
            "labvisit: no se realizó su visita de {when}. Reserve otra en {link}",
        ),
    },
    MessageType.PROVIDER_CONFIRM: {
        "en": (
            "Please confirm your lab visit with your provider's office",
            "You asked for your lab visit at your provider's office on {when}. Please call the "
            "office to confirm the time. {cost} {link}",
            "labvisit: please call your provider's office to confirm your lab visit {when}.",
        ),
        "es": (
            "Confirme su visita de laboratorio con el consultorio de su proveedor",
            "Pidió su visita de laboratorio en el consultorio de su proveedor el {when}. Llame al "
            "consultorio para confirmar la hora. {cost} {link}",
            "labvisit: llame al consultorio de su proveedor para confirmar su visita {when}.",
        ),
    },
    MessageType.CHECKIN_INVITE: {
        "en": (
            "Your monthly symptom check-in",
            "Please answer this month's short symptom check-in: {link}",
            "labvisit: please answer this month's short check-in at {link}",
        ),
        "es": (
            "Su control mensual de síntomas",
            "Por favor responda el breve control de síntomas de este mes: {link}",
            "labvisit: responda el breve control de este mes en {link}",
        ),
    },
    MessageType.SKIN_CHECK_DUE: {
        "en": (
            "Your yearly skin check is due",
            "Your yearly skin check is due. Please make an appointment with your provider, "
            "then let us know when it is done: {link}",
            "labvisit: your yearly check-up is due. Details: {link}",
        ),
        "es": (
            "Le corresponde su revisión anual de la piel",
            "Le corresponde su revisión anual de la piel. Pida una cita con su proveedor y "
            "avísenos cuando esté hecha: {link}",
            "labvisit: le corresponde su revisión anual. Detalles: {link}",
        ),
    },
}


def render(
    type_: MessageType, language: str, channel: Channel, context: Mapping[str, str]
) -> tuple[str, str]:
    """(subject, body) of a message; English when ``language`` has no text.

    :raise KeyError: a placeholder the text needs is missing from ``context``.
    """
    texts = _TEXTS[MessageType(type_)]
    subject, long_body, sms_body = texts.get(language) or texts["en"]
    body = sms_body if channel == Channel.SMS else long_body
    return subject.format_map(context), body.format_map(context)
