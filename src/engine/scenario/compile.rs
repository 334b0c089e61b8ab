//! From TOML to a [`ScenarioFile`]: the text parsed, each step checked and
//! compiled, variables resolved in the order the steps define them, and
//! every error given its line and column.

use crate::engine::net::tls::{ClientTls, ClientTlsContext, Fingerprint, Verification};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;

use super::error::ScenarioFileError;
use super::plan::{Action, Expectation, Scenario, ScenarioFile, Step};
use super::spec::{FileSpec, StepSpec, TlsOptions, TlsSpec};
use crate::engine::net::target::Target;
use crate::engine::protocol::profile::Profile;
use crate::engine::script::capture::{VariableCapture, check_variable_name, compile_capture};
use crate::engine::script::problem::{FileProblem, Location};
use crate::engine::script::profile_ref::load_profile;
use crate::engine::script::send::{SendPlan, SendSpec, compile_send};

/// Connections one connect step is counted as opening when field names
/// are checked (a step may ask for thousands; their numbers past this are
/// not checked).
const MAX_CHECKED_CONNECTIONS: usize = 10_000;

/// How long an `expect` waits when neither it nor the file says.
pub const DEFAULT_EXPECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads and compiles the scenario file at `path`.
pub fn load(path: &Path) -> Result<ScenarioFile, ScenarioFileError> {
    let source = std::fs::read_to_string(path).map_err(|error| ScenarioFileError {
        path: path.to_owned(),
        location: None,
        problem: FileProblem::Read(error),
    })?;
    compile(path, &source)
}

/// Compiles `source`, the text of the scenario file at `path` (files it
/// names are read relative to `path`'s folder).
pub fn compile(path: &Path, source: &str) -> Result<ScenarioFile, ScenarioFileError> {
    let compiler = Compiler {
        path,
        source,
        folder: path.parent().unwrap_or(Path::new(".")).to_owned(),
        profile: OnceCell::new(),
        opened: RefCell::default(),
        nesting: Cell::new(0),
    };
    compiler.file()
}

/// What every step's compilation needs to know.
struct Compiler<'a> {
    path: &'a Path,
    source: &'a str,
    folder: PathBuf,
    /// The file's profile, once read.
    profile: OnceCell<Option<Arc<Profile>>>,
    /// The connections the scenario being compiled opens, as it reads.
    opened: RefCell<Opened>,
    /// How deep in repeat and for-each steps the step being compiled is.
    nesting: Cell<usize>,
}

/// The profile of each connection a scenario opens, in the order its
/// connect steps read, so that `field.NAME` is checked against the
/// profile of the connection it acts on before anything runs.
#[derive(Default)]
struct Opened {
    profiles: Vec<Opening>,
    /// Set once a connect inside a repeat or for-each step makes the
    /// numbers of later connections a matter of how often it runs.
    numbers_unsure: bool,
}

/// What a connect step opened: the profile its frames keep, and whether
/// it is a UDP socket.
#[derive(Clone)]
struct Opening {
    profile: Option<Arc<Profile>>,
    udp: bool,
}

impl Opened {
    /// What the connection a step with `conn` acts on (`None`: the last
    /// opened) is, and its number; `None` when that is not known from the
    /// file alone.
    fn of(&self, conn: Option<usize>) -> Option<(usize, &Opening)> {
        match conn {
            None => self
                .profiles
                .last()
                .map(|opening| (self.profiles.len(), opening)),
            Some(_) if self.numbers_unsure => None,
            Some(number) => self
                .profiles
                .get(number.checked_sub(1)?)
                .map(|opening| (number, opening)),
        }
    }
}

/// A scenario's variables: every name's index, and which are defined so far.
#[derive(Default, Clone)]
struct Scope {
    names: Vec<String>,
    visible: HashSet<String>,
}

impl Scope {
    /// Defines `name` from here on, giving its index.
    fn define(&mut self, name: &str) -> Result<usize, FileProblem> {
        check_variable_name(name)?;
        self.visible.insert(name.to_owned());
        Ok(match self.names.iter().position(|known| known == name) {
            Some(index) => index,
            None => {
                self.names.push(name.to_owned());
                self.names.len() - 1
            }
        })
    }

    /// The index of a name defined so far.
    fn lookup(&self, name: &str) -> Option<usize> {
        if !self.visible.contains(name) {
            return None;
        }
        self.names.iter().position(|known| known == name)
    }
}

impl Compiler<'_> {
    /// The profile a `profile = "..."` names.
    fn profile(&self, name: &Spanned<String>) -> Result<Arc<Profile>, ScenarioFileError> {
        load_profile(name.get_ref(), &self.folder)
            .map_err(|why| self.error(name.span(), FileProblem::Profile(why)))
    }

    fn error(&self, span: Range<usize>, problem: FileProblem) -> ScenarioFileError {
        ScenarioFileError {
            path: self.path.to_owned(),
            location: Some(Location::of_offset(self.source, span.start)),
            problem,
        }
    }

    fn file(&self) -> Result<ScenarioFile, ScenarioFileError> {
        let spec: FileSpec = toml::from_str(self.source).map_err(|error| {
            self.error(
                error.span().unwrap_or(0..0),
                FileProblem::Syntax(error.message().trim().to_owned()),
            )
        })?;
        if spec.scenarios.is_empty() {
            return Err(self.error(0..0, FileProblem::NoScenarios));
        }
        let timeout = spec.timeout.map_or(DEFAULT_EXPECT_TIMEOUT, |t| t.0);
        let profile = spec
            .profile
            .as_ref()
            .map(|name| self.profile(name))
            .transpose()?;
        let _ = self.profile.set(profile);
        let file_target = self.target(spec.target.as_ref())?;
        let mut scenarios = Vec::new();
        for scenario in &spec.scenarios {
            *self.opened.borrow_mut() = Opened::default();
            let mut scope = Scope::default();
            let steps = self.steps(&scenario.get_ref().steps, &mut scope, timeout)?;
            scenarios.push(Scenario {
                name: scenario.get_ref().name.clone(),
                location: Location::of_offset(self.source, scenario.span().start),
                target: self
                    .target(scenario.get_ref().target.as_ref())?
                    .or_else(|| file_target.clone()),
                steps,
                variables: scope.names,
            });
        }
        Ok(ScenarioFile {
            path: self.path.to_owned(),
            scenarios,
        })
    }

    /// A step's own lines in one line: from where it starts to the next
    /// table header (a block's steps are reported on their own), comments
    /// and its own `[[...]]` header left out.
    fn describe(&self, span: Range<usize>) -> String {
        let text = self.source.get(span.start..).unwrap_or_default();
        let mut lines = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') {
                if index == 0 {
                    continue;
                }
                break;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            lines.push(line);
        }
        let mut description = lines.join("; ");
        if description.chars().count() > 160 {
            description = description.chars().take(159).collect();
            description.push('…');
        }
        description
    }

    fn target(&self, text: Option<&Spanned<String>>) -> Result<Option<Target>, ScenarioFileError> {
        text.map(|text| {
            text.get_ref()
                .parse::<Target>()
                .map_err(|error| self.error(text.span(), error.into()))
        })
        .transpose()
    }

    /// A connect step's TLS, checked and built now (a CA file read, a pin
    /// parsed), so a mistake shows before anything connects.
    fn tls(&self, spec: &Spanned<TlsSpec>) -> Result<Option<ClientTlsContext>, ScenarioFileError> {
        let options = match spec.get_ref() {
            TlsSpec::On(false) => return Ok(None),
            TlsSpec::On(true) => TlsOptions::default(),
            TlsSpec::With(options) => options.clone(),
        };
        let bad = |why: String| self.error(spec.span(), FileProblem::Tls(why));
        let verification = match (options.insecure, &options.pin, &options.ca) {
            (false, None, None) => Verification::System,
            (true, None, None) => Verification::Insecure,
            (false, Some(pin), None) => {
                Verification::Pin(pin.parse::<Fingerprint>().map_err(|e| bad(e.to_string()))?)
            }
            (false, None, Some(ca)) => Verification::CaFile(self.folder.join(ca)),
            _ => return Err(bad("give one of insecure, pin and ca".into())),
        };
        let settings = ClientTls {
            verification,
            sni: options.sni,
            alpn: options.alpn,
            ..ClientTls::default()
        };
        settings.build().map(Some).map_err(|e| bad(e.to_string()))
    }

    fn steps(
        &self,
        specs: &[Spanned<StepSpec>],
        scope: &mut Scope,
        timeout: Duration,
    ) -> Result<Vec<Step>, ScenarioFileError> {
        specs
            .iter()
            .map(|spec| self.step(spec, scope, timeout))
            .collect()
    }

    fn step(
        &self,
        spec: &Spanned<StepSpec>,
        scope: &mut Scope,
        timeout: Duration,
    ) -> Result<Step, ScenarioFileError> {
        let at = |problem| self.error(spec.span(), problem);
        let step = spec.get_ref();
        let kinds: Vec<&str> = [
            ("connect", step.connect.is_some()),
            ("close", step.close.is_some()),
            ("half-close", step.half_close.is_some()),
            ("sleep", step.sleep.is_some()),
            ("send", step.send.is_some()),
            ("expect", step.expect.is_some()),
            ("capture", step.capture.is_some()),
            ("repeat", step.repeat.is_some()),
            ("for-each", step.for_each.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect();
        match kinds.len() {
            0 => return Err(at(FileProblem::NoStepKind)),
            1 => {}
            _ => return Err(at(FileProblem::TwoStepKinds(kinds.join(" and ")))),
        }
        if step.conn == Some(0) {
            return Err(at(FileProblem::ConnZero));
        }
        let action = if let Some(connect) = &step.connect {
            let count = connect.count.unwrap_or(1).max(1);
            let profile = match &connect.profile {
                Some(name) => Some(self.profile(name)?),
                None => self.profile.get().cloned().flatten(),
            };
            self.opened_connections(count, profile.as_ref(), connect.raw, connect.udp);
            if connect.udp && connect.tls.is_some() {
                return Err(at(FileProblem::Syntax(
                    "connect: tls is for TCP; a UDP socket sends in the clear".into(),
                )));
            }
            Action::Connect {
                target: self.target(connect.target.as_ref())?,
                count,
                raw: connect.raw,
                udp: connect.udp,
                tls: connect
                    .tls
                    .as_ref()
                    .map(|tls| self.tls(tls))
                    .transpose()?
                    .flatten(),
                profile,
            }
        } else if step.close.is_some() {
            Action::Close
        } else if step.half_close.is_some() {
            self.check_not_udp("half_close", step.conn, spec.span())?;
            Action::HalfClose
        } else if let Some(sleep) = step.sleep {
            Action::Sleep(sleep.0)
        } else if let Some(send) = &step.send {
            for (name, value) in &send.field {
                self.check_field(name, step.conn, value.span())?;
            }
            Action::Send(Box::new(self.send(send, scope, spec.span())?))
        } else if let Some(expect) = &step.expect {
            let predicate = expect.frame_predicate();
            for name in predicate.field.keys() {
                self.check_field(name, step.conn, spec.span())?;
            }
            let parts = [
                !predicate.is_empty(),
                expect.closed == Some(true),
                expect.reset == Some(true),
                expect.nothing_for.is_some(),
            ];
            if parts.iter().filter(|p| **p).count() > 1 {
                return Err(at(FileProblem::MixedExpect));
            }
            if expect.closed == Some(true) {
                self.check_not_udp("expect.closed", step.conn, spec.span())?;
            }
            if expect.reset == Some(true) {
                self.check_not_udp("expect.reset", step.conn, spec.span())?;
            }
            let expectation = if expect.closed == Some(true) {
                Expectation::Closed
            } else if expect.reset == Some(true) {
                Expectation::Reset
            } else if let Some(quiet) = expect.nothing_for {
                Expectation::Nothing(quiet.0)
            } else {
                Expectation::Frame(
                    predicate
                        .compile(&|name| scope.lookup(name))
                        .map_err(|error| self.error(error.span, error.problem.into()))?,
                )
            };
            Action::Expect {
                expectation: Box::new(expectation),
                within: expect.within.map_or(timeout, |w| w.0),
            }
        } else if let Some(captures) = &step.capture {
            let mut compiled = Vec::new();
            for (name, capture) in captures {
                let source = compile_capture(capture.get_ref())
                    .map_err(|problem| self.error(capture.span(), problem))?;
                let variable = scope
                    .define(name)
                    .map_err(|problem| self.error(capture.span(), problem))?;
                compiled.push(VariableCapture {
                    variable,
                    name: name.clone(),
                    source,
                });
            }
            Action::Capture(compiled)
        } else if let Some(repeat) = &step.repeat {
            let mut inner = scope.clone();
            let counter = repeat
                .counter
                .as_deref()
                .map(|name| inner.define(name))
                .transpose()
                .map_err(at)?;
            let steps = self.nested(|| self.steps(&repeat.steps, &mut inner, timeout))?;
            scope.names = inner.names;
            Action::Repeat {
                times: repeat.times,
                counter,
                steps,
            }
        } else if let Some(for_each) = &step.for_each {
            let path = self.folder.join(for_each.csv.get_ref());
            let (header, rows) =
                read_csv(&path).map_err(|problem| self.error(for_each.csv.span(), problem))?;
            let mut inner = scope.clone();
            let columns = header
                .iter()
                .map(|name| inner.define(name))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|problem| self.error(for_each.csv.span(), problem))?;
            let steps = self.nested(|| self.steps(&for_each.steps, &mut inner, timeout))?;
            scope.names = inner.names;
            Action::ForEach {
                path,
                columns,
                rows,
                steps,
            }
        } else {
            return Err(at(FileProblem::NoStepKind));
        };
        Ok(Step {
            location: Location::of_offset(self.source, spec.span().start),
            description: self.describe(spec.span()),
            conn: step.conn,
            action,
        })
    }

    /// Compiles steps inside a repeat or for-each step.
    fn nested<T>(&self, compile: impl FnOnce() -> T) -> T {
        self.nesting.set(self.nesting.get() + 1);
        let compiled = compile();
        self.nesting.set(self.nesting.get() - 1);
        compiled
    }

    /// Notes `count` connections opened with `profile` (`raw`: bytes,
    /// with no profile's fields).
    fn opened_connections(
        &self,
        count: usize,
        profile: Option<&Arc<Profile>>,
        raw: bool,
        udp: bool,
    ) {
        let mut opened = self.opened.borrow_mut();
        if self.nesting.get() > 0 {
            opened.numbers_unsure = true;
        }
        let speaks = profile
            .filter(|p| !raw && !p.is_raw() && !p.is_json_header())
            .cloned();
        opened.profiles.extend(std::iter::repeat_n(
            Opening {
                profile: speaks,
                udp,
            },
            count.min(MAX_CHECKED_CONNECTIONS),
        ));
    }

    /// That `what` (a close or half-close) is not asked of a UDP socket.
    fn check_not_udp(
        &self,
        what: &'static str,
        conn: Option<usize>,
        span: Range<usize>,
    ) -> Result<(), ScenarioFileError> {
        match self.opened.borrow().of(conn) {
            Some((number, opening)) if opening.udp => {
                Err(self.error(span, FileProblem::NotOverUdp { what, conn: number }))
            }
            _ => Ok(()),
        }
    }

    /// That `name` is a field of the profile of the connection a step with
    /// `conn` acts on, where the file alone says which that is.
    fn check_field(
        &self,
        name: &str,
        conn: Option<usize>,
        span: Range<usize>,
    ) -> Result<(), ScenarioFileError> {
        let opened = self.opened.borrow();
        let Some((number, opening)) = opened.of(conn) else {
            return Ok(());
        };
        let problem = match &opening.profile {
            None => FileProblem::FieldWithoutProfile {
                name: name.to_owned(),
                conn: number,
            },
            Some(profile) if !profile.has_field(name) => FileProblem::NoSuchField {
                name: name.to_owned(),
                profile: profile.clone(),
            },
            Some(_) => return Ok(()),
        };
        Err(self.error(span, problem))
    }

    fn send(
        &self,
        spec: &SendSpec,
        scope: &Scope,
        step_span: Range<usize>,
    ) -> Result<SendPlan, ScenarioFileError> {
        compile_send(spec, &|name| scope.lookup(name), &self.folder, step_span)
            .map_err(|(span, problem)| self.error(span, problem))
    }
}

/// A CSV file's column names and rows.
fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), FileProblem> {
    let csv_problem = |error: csv::Error| FileProblem::Csv {
        path: path.to_owned(),
        detail: error.to_string(),
    };
    let mut reader = csv::Reader::from_path(path).map_err(|error| match error.kind() {
        csv::ErrorKind::Io(_) => FileProblem::DataFile {
            path: path.to_owned(),
            source: match error.into_kind() {
                csv::ErrorKind::Io(source) => source,
                _ => std::io::Error::other("unreadable"),
            },
        },
        _ => csv_problem(error),
    })?;
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_problem)?
        .iter()
        .map(|name| name.trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_problem)?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok((header, rows))
}
