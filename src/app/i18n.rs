//! The window's words in its language: every string it shows is a Project
//! Fluent message in `assets/i18n/<language>/<area>.ftl` (embedded in the
//! binary), looked up by key with [`tr`] or, with arguments (counts take
//! Fluent's plural rules), [`tr_with`]. A message missing in Chinese falls
//! back to English; a key missing in both shows as the key itself, so it
//! cannot go unnoticed (and a test lists every key missing from either).
//!
//! The language is the window's, set at the start of every frame from the
//! settings ([`set_language`]); it lives on the UI thread, so each window
//! (and each test's window, on its own thread) has its own.

use std::cell::{Cell, RefCell};

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::{LanguageIdentifier, langid};

/// The languages the window speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// English (United States).
    #[serde(rename = "en-US")]
    English,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    SimplifiedChinese,
}

impl Language {
    /// Every language, in the order the picker lists them.
    pub const ALL: [Language; 2] = [Language::English, Language::SimplifiedChinese];

    /// Its name in itself, as the picker shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::SimplifiedChinese => "简体中文",
        }
    }

    /// The language of a locale such as `zh-CN`, `zh_Hans_CN` or `en-GB`:
    /// Chinese for any Chinese locale but the traditional ones, else
    /// English.
    pub fn of_locale(locale: &str) -> Language {
        let locale = locale.to_ascii_lowercase().replace('_', "-");
        let traditional = ["zh-tw", "zh-hk", "zh-mo", "zh-hant"]
            .iter()
            .any(|t| locale.starts_with(t));
        if locale.starts_with("zh") && !traditional {
            Language::SimplifiedChinese
        } else {
            Language::English
        }
    }

    /// The language of this machine's locale.
    pub fn of_system() -> Language {
        sys_locale::get_locale().map_or(Language::English, |l| Language::of_locale(&l))
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Language::English => langid!("en-US"),
            Language::SimplifiedChinese => langid!("zh-CN"),
        }
    }

    /// Its `.ftl` files: (area, text).
    fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Language::English => EN_US,
            Language::SimplifiedChinese => ZH_CN,
        }
    }
}

/// Declares each area's file in both languages.
macro_rules! areas {
    ($($area:literal),* $(,)?) => {
        const EN_US: &[(&str, &str)] = &[
            $(($area, include_str!(concat!("../../assets/i18n/en-US/", $area, ".ftl")))),*
        ];
        const ZH_CN: &[(&str, &str)] = &[
            $(($area, include_str!(concat!("../../assets/i18n/zh-CN/", $area, ".ftl")))),*
        ];
    };
}

areas!(
    "app",
    "server",
    "client",
    "composer",
    "intercept",
    "load",
    "scenario",
    "records",
    "files",
);

/// An argument of a message: a number (which picks the plural form) or
/// text.
#[derive(Debug, Clone, PartialEq)]
pub enum TrArg {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

macro_rules! number_args {
    ($($t:ty),*) => {
        $(impl From<$t> for TrArg {
            fn from(value: $t) -> Self {
                TrArg::Number(value as f64)
            }
        })*
    };
}
number_args!(u8, u16, u32, u64, usize, i32, i64, f32, f64);

impl From<&str> for TrArg {
    fn from(value: &str) -> Self {
        TrArg::Text(value.to_owned())
    }
}

impl From<String> for TrArg {
    fn from(value: String) -> Self {
        TrArg::Text(value)
    }
}

impl From<&String> for TrArg {
    fn from(value: &String) -> Self {
        TrArg::Text(value.clone())
    }
}

/// One language's messages.
struct Bundle {
    bundle: FluentBundle<FluentResource>,
}

impl Bundle {
    fn of(language: Language) -> Bundle {
        let mut bundle = FluentBundle::new(vec![language.id()]);
        // Arguments go in as they are, with no Unicode isolation marks
        // around them (they would show as boxes in some fonts, and break
        // the tests' label matching).
        bundle.set_use_isolating(false);
        for (area, text) in language.files() {
            let resource =
                FluentResource::try_new((*text).to_owned()).unwrap_or_else(|(resource, errors)| {
                    debug_assert!(errors.is_empty(), "{area}.ftl: {errors:?}");
                    resource
                });
            if let Err(errors) = bundle.add_resource(resource) {
                debug_assert!(errors.is_empty(), "{area}.ftl: {errors:?}");
            }
        }
        Bundle { bundle }
    }

    /// The message `key` with `args`, if this language has it.
    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let pattern = self.bundle.get_message(key)?.value()?;
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, args, &mut errors);
        Some(text.into_owned())
    }

    fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }
}

thread_local! {
    static LANGUAGE: Cell<Language> = const { Cell::new(Language::English) };
    static BUNDLES: RefCell<Option<[Bundle; 2]>> = const { RefCell::new(None) };
}

/// Sets the language of the window this thread draws.
pub fn set_language(language: Language) {
    LANGUAGE.with(|current| current.set(language));
}

/// The language of the window this thread draws.
pub fn language() -> Language {
    LANGUAGE.with(Cell::get)
}

/// The message `key` in the window's language (English when Chinese lacks
/// it; the key itself when both do).
pub fn tr(key: &str) -> String {
    lookup(key, None)
}

/// The message `key` with its arguments, as in
/// `tr_with("client-open", &[("count", open.into())])`.
pub fn tr_with(key: &str, args: &[(&str, TrArg)]) -> String {
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        match value {
            TrArg::Number(n) => fluent.set(*name, FluentValue::from(*n)),
            TrArg::Text(text) => fluent.set(*name, FluentValue::from(text.clone())),
        }
    }
    lookup(key, Some(&fluent))
}

fn lookup(key: &str, args: Option<&FluentArgs<'_>>) -> String {
    let language = language();
    BUNDLES.with(|bundles| {
        let mut bundles = bundles.borrow_mut();
        let [english, chinese] = bundles.get_or_insert_with(|| Language::ALL.map(Bundle::of));
        let first = match language {
            Language::English => &*english,
            Language::SimplifiedChinese => &*chinese,
        };
        first
            .format(key, args)
            .or_else(|| english.format(key, args))
            .unwrap_or_else(|| key.to_owned())
    })
}

/// Every message key of `language`'s files, in file order.
pub fn keys(language: Language) -> Vec<String> {
    language
        .files()
        .iter()
        .flat_map(|(_, text)| {
            text.lines().filter_map(|line| {
                let (key, _) = line.split_once('=')?;
                let key = key.trim_end();
                let starts_well = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
                (starts_well && !line.starts_with([' ', '\t']) && !key.contains(' '))
                    .then(|| key.to_owned())
            })
        })
        .collect()
}

/// Whether `language` has the message `key` (no fallback).
pub fn has(language: Language, key: &str) -> bool {
    Bundle::of(language).has(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_in_both_languages() {
        let english = keys(Language::English);
        let chinese = keys(Language::SimplifiedChinese);
        let missing_in_chinese: Vec<&String> =
            english.iter().filter(|k| !chinese.contains(k)).collect();
        let missing_in_english: Vec<&String> =
            chinese.iter().filter(|k| !english.contains(k)).collect();
        assert!(
            missing_in_chinese.is_empty() && missing_in_english.is_empty(),
            "missing in zh-CN: {missing_in_chinese:?}\nmissing in en-US: {missing_in_english:?}"
        );
        for key in &english {
            assert!(has(Language::English, key), "{key} does not parse in en-US");
            assert!(
                has(Language::SimplifiedChinese, key),
                "{key} does not parse in zh-CN"
            );
        }
    }

    #[test]
    fn every_file_parses_cleanly() {
        for language in Language::ALL {
            for (area, text) in language.files() {
                if let Err((_, errors)) = FluentResource::try_new((*text).to_owned()) {
                    panic!("{language:?} {area}.ftl: {errors:?}");
                }
            }
        }
    }

    #[test]
    fn a_locale_picks_its_language() {
        assert_eq!(Language::of_locale("zh-CN"), Language::SimplifiedChinese);
        assert_eq!(
            Language::of_locale("zh_Hans_SG"),
            Language::SimplifiedChinese
        );
        assert_eq!(Language::of_locale("zh-TW"), Language::English);
        assert_eq!(Language::of_locale("en-GB"), Language::English);
        assert_eq!(Language::of_locale("fr"), Language::English);
    }
}
