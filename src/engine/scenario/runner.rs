//! Runs a scenario over connections of its own, step by step, reporting
//! each step as it ends through a callback (a window can show them live).
//! Every wait has a deadline: a timeout is a failure that says what did
//! arrive, never a hang. The first step that fails ends the scenario.

use crate::engine::net::tls::{ClientTlsContext, Stream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use super::connection::{Arrival, Connection, LastReceived, Link, render_frame, show_duration};
use super::plan::{Action, Expectation, Scenario, Step};
use super::recording::ScenarioRecorder;
use super::report::{
    ScenarioOutcome, ScenarioReport, StepFailure, StepOutcome, StepReport, millis,
};
use crate::engine::net::datagram;
use crate::engine::net::limits::DEFAULT_MAX_CONTENT_LENGTH;
use crate::engine::net::target::Target;
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::protocol::template::Expansion;
use crate::engine::record::vocabulary::{Direction, RecordKind};
use crate::engine::script::capture::VariableCapture;
use crate::engine::script::predicate::{FramePredicate, Mismatch, Observed, show_bytes};
use crate::engine::script::send::SendPlan;

/// How a run connects and how long it waits for what the file does not time.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Where to connect, overriding the file's targets (not a step's own).
    pub target: Option<Target>,
    /// How long a connection may take to open.
    pub connect_timeout: Duration,
    /// How long a send may wait for the socket.
    pub write_timeout: Duration,
    /// The largest content a received frame may announce.
    pub max_content_length: u64,
    /// Where the run's traffic is recorded (the window's journal); none on
    /// the command line.
    pub recorder: Option<ScenarioRecorder>,
    /// TLS for every connect step that does not say (`run --tls`);
    /// `None`: plain TCP unless a step asks for TLS.
    pub tls: Option<ClientTlsContext>,
    /// UDP sockets for every connect step (`run --udp`).
    pub udp: bool,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            target: None,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_content_length: DEFAULT_MAX_CONTENT_LENGTH,
            recorder: None,
            tls: None,
            udp: false,
        }
    }
}

/// Runs `scenario`, calling `on_step` as each step ends.
pub async fn run_scenario(
    scenario: &Scenario,
    settings: &RunSettings,
    on_step: &mut (dyn FnMut(&StepReport) + Send),
) -> ScenarioReport {
    let started = Instant::now();
    let mut session = Session {
        scenario,
        settings,
        connections: Vec::new(),
        values: vec![String::new(); scenario.variables.len()],
        rng: fastrand::Rng::new(),
        reports: Vec::new(),
        on_step,
    };
    let outcome = match session.block(&scenario.steps, String::new()).await {
        Ok(()) => ScenarioOutcome::Passed,
        Err(Stop::Failed) => ScenarioOutcome::Failed,
        Err(Stop::Error) => ScenarioOutcome::Error,
    };
    ScenarioReport {
        name: scenario.name.clone(),
        location: scenario.location,
        outcome,
        duration_ms: millis(started.elapsed()),
        steps: session.reports,
    }
}

/// Why a block stopped early.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Failed,
    Error,
}

/// How a single step went wrong.
enum StepError {
    Failed(StepFailure),
    Error(String),
}

impl StepError {
    fn mismatch(message: impl Into<String>, mismatch: Mismatch, frames: Vec<String>) -> Self {
        StepError::Failed(StepFailure {
            message: message.into(),
            expected: mismatch.expected,
            actual: mismatch.actual,
            frames,
        })
    }
}

/// A running scenario.
struct Session<'a> {
    scenario: &'a Scenario,
    settings: &'a RunSettings,
    connections: Vec<Connection>,
    values: Vec<String>,
    rng: fastrand::Rng,
    reports: Vec<StepReport>,
    on_step: &'a mut (dyn FnMut(&StepReport) + Send),
}

impl Session<'_> {
    async fn block(&mut self, steps: &[Step], context: String) -> Result<(), Stop> {
        for step in steps {
            match &step.action {
                Action::Repeat {
                    times,
                    counter,
                    steps,
                } => {
                    for round in 1..=*times {
                        if let Some(counter) = counter {
                            self.values[*counter] = round.to_string();
                        }
                        let inner = format!("{context}repeat {round}/{times} › ");
                        Box::pin(self.block(steps, inner)).await?;
                    }
                }
                Action::ForEach {
                    path,
                    columns,
                    rows,
                    steps,
                } => {
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    for (index, row) in rows.iter().enumerate() {
                        for (column, variable) in columns.iter().enumerate() {
                            self.values[*variable] = row.get(column).cloned().unwrap_or_default();
                        }
                        let inner = format!("{context}{name} row {} › ", index + 1);
                        Box::pin(self.block(steps, inner)).await?;
                    }
                }
                _ => self.leaf(step, &context).await?,
            }
        }
        Ok(())
    }

    async fn leaf(&mut self, step: &Step, context: &str) -> Result<(), Stop> {
        let started = Instant::now();
        let result = self.act(step).await;
        let (outcome, stop) = match result {
            Ok(()) => (StepOutcome::Passed, None),
            Err(StepError::Failed(failure)) => (StepOutcome::Failed(failure), Some(Stop::Failed)),
            Err(StepError::Error(message)) => (StepOutcome::Error { message }, Some(Stop::Error)),
        };
        let journal_conn = step
            .conn
            .map_or(self.connections.len().checked_sub(1), |n| n.checked_sub(1))
            .and_then(|index| self.connections.get(index))
            .and_then(Connection::journal_id);
        let report = StepReport {
            location: step.location,
            description: step.description.clone(),
            context: context.trim_end_matches(" › ").to_owned(),
            duration_ms: millis(started.elapsed()),
            outcome,
            journal_conn,
        };
        (self.on_step)(&report);
        self.reports.push(report);
        stop.map_or(Ok(()), Err)
    }

    async fn act(&mut self, step: &Step) -> Result<(), StepError> {
        match &step.action {
            Action::Connect {
                target,
                count,
                raw,
                udp,
                tls,
                profile,
            } => {
                let framing = (*raw, profile.clone());
                // UDP when the step or the run says (`run --udp`).
                if *udp || self.settings.udp {
                    return self.connect_udp(target.as_ref(), *count, framing).await;
                }
                // A step's own TLS, else the run's (`run --tls`).
                let tls = tls.as_ref().or(self.settings.tls.as_ref());
                self.connect(target.as_ref(), *count, framing, tls).await
            }
            Action::Close => {
                self.connection(step.conn)?.close();
                Ok(())
            }
            Action::HalfClose => {
                let connection = self.connection(step.conn)?;
                if connection.datagram.is_some() {
                    return Err(failure(
                        "half_close has no meaning over UDP: a socket has no sending side to close",
                    ));
                }
                let Some(stream) = connection.stream.as_mut() else {
                    return Err(closed_here());
                };
                stream
                    .shutdown()
                    .await
                    .map_err(|error| failure(format!("half-close failed: {error}")))
            }
            Action::Sleep(duration) => {
                tokio::time::sleep(*duration).await;
                Ok(())
            }
            Action::Send(plan) => self.send(step.conn, plan).await,
            Action::Expect {
                expectation,
                within,
            } => self.expect(step, expectation, *within).await,
            Action::Capture(captures) => self.capture(step.conn, captures),
            Action::Repeat { .. } | Action::ForEach { .. } => Ok(()),
        }
    }

    fn connection(&mut self, number: Option<usize>) -> Result<&mut Connection, StepError> {
        pick(&mut self.connections, number)
    }

    /// The target a connect step goes to: its own, the run's, the file's.
    fn target_of<'t>(&'t self, target: Option<&'t Target>) -> Result<&'t Target, StepError> {
        target
            .or(self.settings.target.as_ref())
            .or(self.scenario.target.as_ref())
            .ok_or_else(|| {
                StepError::Error(
                    "no target: give --target, or target = \"HOST:PORT\" in the file".into(),
                )
            })
    }

    /// Opens `count` UDP sockets, each connected to the target's first
    /// address.
    async fn connect_udp(
        &mut self,
        target: Option<&Target>,
        count: usize,
        framing: (bool, Option<Arc<Profile>>),
    ) -> Result<(), StepError> {
        let target = self.target_of(target)?.clone();
        let addrs = target
            .resolve_within(self.settings.connect_timeout)
            .await
            .map_err(|error| StepError::Error(error.to_string()))?;
        let to = addrs[0];
        for _ in 0..count {
            let socket = async {
                let socket = datagram::bind(datagram::any_local_for(to))?;
                socket.connect(to).await?;
                Ok::<_, std::io::Error>(socket)
            }
            .await
            .map_err(|error| {
                StepError::Error(format!("cannot open a UDP socket to {to}: {error}"))
            })?;
            let number = self.connections.len() + 1;
            let recording = self
                .settings
                .recorder
                .as_ref()
                .map(|r| r.connection(socket.local_addr().ok(), Some(to)).over_udp());
            self.connections.push(Connection::new(
                number,
                Link::Datagram(socket),
                framing.clone(),
                self.settings.max_content_length,
                recording,
            ));
        }
        Ok(())
    }

    async fn connect(
        &mut self,
        target: Option<&Target>,
        count: usize,
        framing: (bool, Option<Arc<Profile>>),
        tls: Option<&ClientTlsContext>,
    ) -> Result<(), StepError> {
        let target = self.target_of(target)?.clone();
        let addrs = target
            .resolve_within(self.settings.connect_timeout)
            .await
            .map_err(|error| StepError::Error(error.to_string()))?;
        for _ in 0..count {
            let stream = target
                .connect_any(&addrs, self.settings.connect_timeout)
                .await
                .map_err(|error| StepError::Error(error.to_string()))?;
            let _ = stream.set_nodelay(true);
            let number = self.connections.len() + 1;
            let recording = self
                .settings
                .recorder
                .as_ref()
                .map(|r| r.connection(stream.local_addr().ok(), stream.peer_addr().ok()));
            let stream = match tls {
                None => Stream::Plain(stream),
                Some(context) => {
                    crate::engine::net::tls::connect(context, stream, target.host())
                        .await
                        .map_err(|failure| {
                            StepError::Error(format!("TLS handshake failed: {failure}"))
                        })?
                        .0
                }
            };
            self.connections.push(Connection::new(
                number,
                Link::Stream(stream),
                framing.clone(),
                self.settings.max_content_length,
                recording,
            ));
        }
        Ok(())
    }

    async fn send(&mut self, conn: Option<usize>, plan: &SendPlan) -> Result<(), StepError> {
        let write_timeout = self.settings.write_timeout;
        let values = std::mem::take(&mut self.values);
        let mut rng = self.rng.fork();
        let connection = self.connection(conn)?;
        let mut expansion = Expansion {
            conn: connection.number as u32,
            seq: connection.sent + 1,
            content_len: 0,
            rng: &mut rng,
            named: &values,
        };
        let bytes = match &connection.profile {
            Some(profile) => plan.build_fields(profile, Role::Request, &mut expansion),
            None => plan
                .build(connection.raw, &mut expansion)
                .map_err(|error| error.to_string()),
        }
        .map_err(|error| failure(format!("cannot build the frame: {error}")));
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(error) => {
                self.values = values;
                return Err(error);
            }
        };
        let written = if let Some(link) = connection.datagram.as_ref() {
            tokio::time::timeout(write_timeout, link.socket.send(&bytes))
                .await
                .map(|sent| sent.map(|_| ()))
        } else {
            let Some(stream) = connection.stream.as_mut() else {
                self.values = values;
                return Err(closed_here());
            };
            tokio::time::timeout(write_timeout, stream.write_all(&bytes)).await
        };
        self.values = values;
        match written {
            Ok(Ok(())) => {
                let connection = self.connection(conn)?;
                let kind = if connection.raw {
                    RecordKind::Chunk
                } else {
                    RecordKind::Frame
                };
                connection.record(Direction::Sent, kind, &bytes, None);
                connection.sent += 1;
                Ok(())
            }
            Ok(Err(error)) => Err(failure(format!("the send failed: {error}"))),
            Err(_) => Err(failure(format!(
                "the peer took nothing for {}",
                show_duration(write_timeout)
            ))),
        }
    }

    async fn expect(
        &mut self,
        step: &Step,
        expectation: &Expectation,
        within: Duration,
    ) -> Result<(), StepError> {
        let wanted = &step.description;
        let connection = pick(&mut self.connections, step.conn)?;
        if connection.datagram.is_some()
            && matches!(expectation, Expectation::Closed | Expectation::Reset)
        {
            // A file that says udp = true is refused at its line; a run
            // made UDP by `run --udp` finds out here.
            return Err(failure(format!(
                "{wanted}: has no meaning over UDP (connection {} is a UDP socket, which no peer closes)",
                connection.number
            )));
        }
        match expectation {
            Expectation::Frame(predicate) if connection.raw => {
                expect_raw(connection, predicate, within, wanted, &self.values).await
            }
            Expectation::Frame(predicate) => {
                let arrival = connection.next(within).await;
                let fields = match (&arrival, &connection.profile) {
                    (Arrival::Frame(frame), Some(profile)) => {
                        Some(profile.decode(frame.raw(), Role::Reply).0)
                    }
                    _ => None,
                };
                let observed = match (&arrival, &fields) {
                    (Arrival::Frame(frame), Some(fields)) => Observed::Fields {
                        bytes: frame.raw(),
                        fields,
                    },
                    (Arrival::Frame(frame), None) => Observed::Frame(frame),
                    (Arrival::DecodeFailed(failure), _) => Observed::ReadError(&failure.error),
                    (other, _) => return Err(unexpected(wanted, other, within)),
                };
                match predicate.evaluate(observed, &self.values) {
                    Ok(()) => {
                        if let Arrival::Frame(frame) = arrival {
                            connection.last = Some(LastReceived::Frame(frame));
                        }
                        Ok(())
                    }
                    Err(mismatch) => {
                        let rendered = match &connection.profile {
                            Some(profile) => arrival.render_fields(profile),
                            None => arrival.render(),
                        };
                        Err(StepError::mismatch(
                            "what arrived is not what was expected",
                            mismatch,
                            rendered.into_iter().collect(),
                        ))
                    }
                }
            }
            Expectation::Closed => match connection.next(within).await {
                Arrival::Closed => Ok(()),
                other => Err(unexpected(wanted, &other, within)),
            },
            Expectation::Reset => match connection.next(within).await {
                Arrival::Broken { reset: true, .. } => Ok(()),
                other => Err(unexpected(wanted, &other, within)),
            },
            Expectation::Nothing(quiet) => match connection.next(*quiet).await {
                Arrival::TimedOut { .. } | Arrival::Closed => Ok(()),
                other => Err(unexpected(wanted, &other, *quiet)),
            },
        }
    }

    fn capture(
        &mut self,
        conn: Option<usize>,
        captures: &[VariableCapture],
    ) -> Result<(), StepError> {
        let connection = self.connection(conn)?;
        let Some(last) = connection.last.clone() else {
            return Err(failure(
                "nothing to capture from: no expect has matched on this connection yet",
            ));
        };
        for capture in captures {
            let value = match &last {
                LastReceived::Frame(frame) => {
                    capture.source.take(Some(&frame.header()), &frame.content())
                }
                LastReceived::Raw(bytes) => capture.source.take(None, bytes),
            };
            let value = value.map_err(|mismatch| {
                StepError::mismatch(
                    format!("cannot capture {}", capture.name),
                    mismatch,
                    match &last {
                        LastReceived::Frame(frame) => vec![render_frame(frame)],
                        LastReceived::Raw(bytes) => vec![format!("bytes {}", show_bytes(bytes))],
                    },
                )
            })?;
            self.values[capture.variable] = value;
        }
        Ok(())
    }
}

/// Connection `number` (from 1), or the last opened.
fn pick(
    connections: &mut [Connection],
    number: Option<usize>,
) -> Result<&mut Connection, StepError> {
    let opened = connections.len();
    let index = match number {
        Some(number) => number - 1,
        None => opened.checked_sub(1).ok_or_else(|| {
            failure("no connection is open yet: add a connect step before this one")
        })?,
    };
    connections.get_mut(index).ok_or_else(|| {
        failure(format!(
            "there is no connection {}: the scenario opened {opened}",
            index + 1
        ))
    })
}

/// How long a raw peer stays quiet before the bytes it sent are taken as
/// its whole reply: raw bytes carry no length, so an expect that does not
/// match them fails then, not at the end of its time.
pub const RAW_QUIET: Duration = Duration::from_millis(200);

/// Matches raw bytes as they accumulate, until the predicate holds, the
/// peer is quiet after bytes that do not match (see [`RAW_QUIET`]), or
/// time is up.
async fn expect_raw(
    connection: &mut Connection,
    predicate: &FramePredicate,
    within: Duration,
    wanted: &str,
    variables: &[String],
) -> Result<(), StepError> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let pending = connection.raw_pending();
        let verdict = predicate.evaluate(Observed::Raw(pending), variables);
        if !pending.is_empty() && verdict.is_ok() {
            connection.take_raw();
            return Ok(());
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let quiet = !pending.is_empty() && RAW_QUIET < left;
        if let Some(end) = connection
            .read_raw(if quiet { RAW_QUIET } else { left })
            .await
        {
            let pending = connection.raw_pending();
            if pending.is_empty() {
                return Err(unexpected(wanted, &end, within));
            }
            let then = match end {
                Arrival::TimedOut { .. } if quiet => {
                    format!("then quiet for {}", show_duration(RAW_QUIET))
                }
                _ => end.summary(within),
            };
            let mismatch = predicate
                .evaluate(Observed::Raw(pending), variables)
                .err()
                .unwrap_or_else(|| Mismatch::new(wanted, then.clone()));
            let mut mismatch = mismatch;
            mismatch.actual = format!("{} (then: {then})", mismatch.actual);
            return Err(StepError::mismatch(
                "the bytes received are not what was expected",
                mismatch,
                vec![format!("bytes {}", show_bytes(pending))],
            ));
        }
    }
}

/// A failure for something other than what the step waits for.
fn unexpected(wanted: &str, arrival: &Arrival, within: Duration) -> StepError {
    let message = match arrival {
        Arrival::TimedOut { .. } => format!("timed out after {}", show_duration(within)),
        _ => "something else arrived".to_owned(),
    };
    StepError::mismatch(
        message,
        Mismatch::new(wanted, arrival.summary(within)),
        arrival.render().into_iter().collect(),
    )
}

fn failure(message: impl Into<String>) -> StepError {
    let message = message.into();
    StepError::Failed(StepFailure {
        expected: String::new(),
        actual: message.clone(),
        message,
        frames: Vec::new(),
    })
}

fn closed_here() -> StepError {
    failure("the connection was closed by an earlier step")
}
