"""Duration estimate from text: within 15 % of the synthesised length, per language."""

from __future__ import annotations

import pytest

from avatarmedia.duration import estimate_seconds
from avatarmedia.errors import MediaInputError, UnsupportedLanguageError
from avatarmedia.speech import LANGUAGES, synthesize
from avatarmedia.voice import default_voice

# Not the sentences the coefficients were fitted on.
CORPUS = {
    "en": [
        "Welcome to our channel, today we talk about healthy breakfast ideas.",
        "The train to London leaves from platform 4 at half past seven.",
        "If you have any questions, send us an email and we will reply within a day.",
    ],
    "vi": [
        "Chào mừng các bạn đến với kênh của chúng tôi.",
        "Chuyến tàu đi Hà Nội khởi hành lúc bảy giờ tối.",
        "Nếu có câu hỏi, hãy gửi thư cho chúng tôi, chúng tôi sẽ trả lời ngay.",
    ],
    "zh": [
        "欢迎来到我们的频道，今天我们来聊聊健康的早餐。",
        "去北京的火车晚上七点半从四号站台出发。",
        "如果您有任何问题，请给我们发邮件，我们会在一天内回复。",
    ],
    "ja": [
        "私たちのチャンネルへようこそ。今日は健康的な朝ごはんについて話します。",
        "東京行きの電車は七時半に四番線から出発します。",
        "質問があれば、メールを送ってください。一日以内に返事をします。",
    ],
    "ko": [
        "저희 채널에 오신 것을 환영합니다. 오늘은 건강한 아침 식사에 대해 이야기합니다.",
        "서울행 기차는 일곱 시 반에 사번 승강장에서 출발합니다.",
        "질문이 있으시면 이메일을 보내 주세요. 하루 안에 답장하겠습니다.",
    ],
    "es": [
        "Bienvenidos a nuestro canal, hoy hablamos de desayunos saludables.",
        "El tren a Madrid sale del andén 4 a las siete y media.",
        "Si tiene preguntas, envíenos un correo y le responderemos en un día.",
    ],
    "fr": [
        "Bienvenue sur notre chaîne, aujourd'hui nous parlons de petits déjeuners sains.",
        "Le train pour Paris part du quai 4 à sept heures et demie.",
        "Si vous avez des questions, écrivez-nous et nous répondrons dans la journée.",
    ],
    "de": [
        "Willkommen auf unserem Kanal, heute sprechen wir über gesundes Frühstück.",
        "Der Zug nach Berlin fährt um halb acht von Gleis 4 ab.",
        "Wenn Sie Fragen haben, schreiben Sie uns, wir antworten innerhalb eines Tages.",
    ],
    "pt": [
        "Bem-vindos ao nosso canal, hoje falamos de cafés da manhã saudáveis.",
        "O trem para Lisboa sai da plataforma 4 às sete e meia.",
        "Se tiver perguntas, mande um e-mail e responderemos em um dia.",
    ],
    "ar": [
        "مرحبا بكم في قناتنا، اليوم نتحدث عن وجبات فطور صحية.",
        "يغادر القطار إلى القاهرة من الرصيف 4 في السابعة والنصف.",
        "إذا كانت لديك أسئلة، أرسل لنا بريدا وسنرد خلال يوم واحد.",
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_estimate_is_within_15_percent_of_synthesised_length(language: str) -> None:
    voice = default_voice(language)
    # a Piper voice's durations vary by ~4 % take to take: compare with the mean of two
    takes = 2 if voice.engine == "piper" else 1
    for text in CORPUS[language]:
        estimate = estimate_seconds(text, language)
        actual = sum(synthesize(text, voice).duration_s for _ in range(takes)) / takes
        assert abs(estimate / actual - 1.0) < 0.15, (text, estimate, actual)


def test_estimate_follows_speed_and_voice_rate() -> None:
    text = CORPUS["en"][0]
    base = estimate_seconds(text, "en")
    slower = estimate_seconds(text, "en", speed=0.8)
    assert estimate_seconds(text, "en", speed=0.5) > slower > base
    assert estimate_seconds(text, "en", speed=1.5) < base
    slow_voice = default_voice("en")
    slow_voice.rate = 0.8  # a voice's own rate counts as its speed does
    assert estimate_seconds(text, "en", voice=slow_voice) == pytest.approx(slower)
    for speed in (0.5, 1.5):  # a Piper voice's audio does not scale as 1 / speed
        actual = synthesize(text, default_voice("en"), speed=speed).duration_s
        assert abs(estimate_seconds(text, "en", speed=speed) / actual - 1) < 0.15, speed


def test_bad_input_is_rejected() -> None:
    with pytest.raises(MediaInputError):
        estimate_seconds("", "en")
    with pytest.raises(UnsupportedLanguageError):
        estimate_seconds("hello", "tlh")
    with pytest.raises(MediaInputError):
        estimate_seconds("hello", "en", speed=3.0)
