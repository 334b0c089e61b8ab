//! The window's fonts: egui's own, the monospace font as the body text's
//! fallback for the arrows it lacks, and the system's fonts for the rest
//! (Chinese, Japanese and Korean text, emoji), found when first needed.
//!
//! The system's fonts are looked up through the platform's own fallback
//! (fontconfig, DirectWrite, Core Text) by egui's system font provider. It
//! lists the installed fonts on a thread of its own when first made, so the
//! window opens without waiting for it; the first character that no bundled
//! font has waits for that list once. One provider serves every window of
//! the process, so the fonts are listed once however many windows (or
//! tests) there are.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use egui::{Context, FallbackRequest, FontInsert, FontProvider};
use egui_system_font_provider::SystemFontProvider;

/// The name of egui's bundled monospace font.
const MONOSPACE_FONT: &str = "Hack";

/// Installs the window's fonts in `ctx`: the bundled ones with the arrow
/// fallback, and the system's for characters they lack. Fonts set during a
/// pass are used from the next one.
pub fn install(ctx: &Context) {
    let mut fonts = egui::FontDefinitions::default();
    if let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional)
        && fonts.font_data.contains_key(MONOSPACE_FONT)
    {
        family.push(MONOSPACE_FONT.to_owned());
    }
    ctx.set_fonts(fonts);
    ctx.add_font_provider(system_fallback());
}

/// The process's one provider of system fonts.
fn system_fallback() -> Arc<dyn FontProvider> {
    static PROVIDER: OnceLock<Arc<SystemFallback<SystemFontProvider>>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let system = sys_locale::get_locale();
            let locale = han_locale(system.as_deref());
            Arc::new(SystemFallback::new(
                SystemFontProvider::new().with_locale(Some(locale)),
            ))
        })
        .clone()
}

/// Which locale's glyphs Han characters take: the system's when it is a
/// Chinese, Japanese or Korean one, else Simplified Chinese, the language
/// of the tutorial framescope grew from (under an English locale the
/// system's fallback would pick the Japanese forms).
fn han_locale(system: Option<&str>) -> &str {
    match system {
        Some(locale)
            if ["zh", "ja", "ko"]
                .iter()
                .any(|language| locale.split(['-', '_']).next() == Some(*language)) =>
        {
            locale
        }
        _ => "zh-Hans",
    }
}

/// A kind of text that needs a font egui does not bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Chinese, Japanese or Korean.
    Cjk,
    /// Emoji and pictographs.
    Emoji,
}

impl Script {
    /// The kind of text `c` belongs to, where it needs a system font.
    pub fn of(c: char) -> Option<Self> {
        match u32::from(c) {
            0x1100..=0x11FF // Hangul Jamo
            | 0x2E80..=0x2FDF // CJK radicals, Kangxi radicals
            | 0x3000..=0x30FF // CJK punctuation, Hiragana, Katakana
            | 0x3100..=0x31FF // Bopomofo, Hangul compatibility Jamo, ...
            | 0x3200..=0x4DBF // enclosed CJK, compatibility, extension A
            | 0x4E00..=0x9FFF // CJK unified ideographs
            | 0xAC00..=0xD7AF // Hangul syllables
            | 0xF900..=0xFAFF // CJK compatibility ideographs
            | 0xFF00..=0xFFEF // full-width forms (，。！)
            | 0x20000..=0x3FFFF => Some(Self::Cjk), // extensions B and later
            0x2600..=0x27BF // miscellaneous symbols, dingbats
            | 0x1F000..=0x1FAFF => Some(Self::Emoji), // pictographs, emoji
            _ => None,
        }
    }

    /// What the fallback looks for, in words for the log.
    fn wanted(self) -> &'static str {
        match self {
            Self::Cjk => {
                "a Chinese/Japanese/Korean font (Noto Sans CJK or Source Han Sans, \
                 Microsoft YaHei, PingFang SC, WenQuanYi); on Debian or Ubuntu: \
                 apt install fonts-noto-cjk"
            }
            Self::Emoji => {
                "an emoji font (Noto Color Emoji, Segoe UI Emoji, Apple Color Emoji); \
                 on Debian or Ubuntu: apt install fonts-noto-color-emoji"
            }
        }
    }
}

/// The system's fonts, saying once per kind of text when none has a
/// character of it (the text then shows as boxes).
struct SystemFallback<P> {
    system: P,
    warned_cjk: AtomicBool,
    warned_emoji: AtomicBool,
}

impl<P: FontProvider> SystemFallback<P> {
    fn new(system: P) -> Self {
        Self {
            system,
            warned_cjk: AtomicBool::new(false),
            warned_emoji: AtomicBool::new(false),
        }
    }

    /// Whether this is the first miss for `script` (and so worth saying).
    fn first_miss(&self, script: Script) -> bool {
        let warned = match script {
            Script::Cjk => &self.warned_cjk,
            Script::Emoji => &self.warned_emoji,
        };
        !warned.swap(true, Ordering::Relaxed)
    }
}

impl<P: FontProvider> FontProvider for SystemFallback<P> {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let found = self.system.font_for(request);
        if found.is_none()
            && let Some(c) = request.cluster.chars().next()
            && let Some(script) = Script::of(c)
            && self.first_miss(script)
        {
            tracing::warn!(
                "no installed font has {c:?}, so it shows as a box: looked for {}",
                script.wanted()
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn han_characters_follow_a_cjk_locale_and_are_simplified_chinese_otherwise() {
        assert_eq!(han_locale(Some("ja-JP")), "ja-JP");
        assert_eq!(han_locale(Some("zh-TW")), "zh-TW");
        assert_eq!(han_locale(Some("ko_KR")), "ko_KR");
        assert_eq!(han_locale(Some("en-US")), "zh-Hans");
        assert_eq!(han_locale(Some("jam")), "zh-Hans");
        assert_eq!(han_locale(None), "zh-Hans");
    }

    #[test]
    fn chinese_japanese_korean_and_emoji_are_told_apart_from_latin() {
        for c in ['你', '好', '，', 'か', 'カ', '한', '𠀀'] {
            assert_eq!(Script::of(c), Some(Script::Cjk), "{c}");
        }
        for c in ['🐰', '💍', '🐶', '☕'] {
            assert_eq!(Script::of(c), Some(Script::Emoji), "{c}");
        }
        for c in ['a', 'é', '→', '1', 'Ω'] {
            assert_eq!(Script::of(c), None, "{c}");
        }
    }

    /// A system with no fonts at all, counting the requests.
    #[derive(Default)]
    struct NoFonts(AtomicUsize);

    impl FontProvider for NoFonts {
        fn font_for(&self, _: &FallbackRequest<'_>) -> Option<FontInsert> {
            self.0.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    #[test]
    fn with_no_font_installed_each_kind_of_text_is_reported_once() {
        let fallback = SystemFallback::new(NoFonts::default());
        let family = egui::FontFamily::Proportional;
        let ask = |cluster: &str| {
            fallback.font_for(&FallbackRequest {
                cluster,
                family: &family,
            })
        };
        assert!(ask("你").is_none());
        assert!(fallback.warned_cjk.load(Ordering::Relaxed));
        assert!(!fallback.warned_emoji.load(Ordering::Relaxed));
        assert!(!fallback.first_miss(Script::Cjk), "already said");
        assert!(ask("🐰").is_none());
        assert!(!fallback.first_miss(Script::Emoji), "already said");
        assert_eq!(fallback.system.0.load(Ordering::Relaxed), 2);
    }
}
