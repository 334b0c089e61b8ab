//! The engine's actor: on the runtime, it carries out the queued
//! [`Command`]s in order (starting and stopping the server, connecting,
//! saving and loading logs, load runs, scenario runs) and keeps the
//! background duties: publishing the view, waking the viewer, sampling
//! rates and expiring held frames.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{
    Capture, Command, EngineView, Event, HOLD_CHECK, Limits, LogFormat, MulticastJoin,
    NOTIFY_INTERVAL, Profile, SLOW_SAVE, ServerError, ServerMode, ServerSlot, Target, Transport,
    client, load, notify, scenario, server, shared, tls, view,
};

/// The engine's command loop and background duties, on the runtime.
#[derive(Clone)]
pub(super) struct Actor {
    pub(super) shared: Arc<shared::Shared>,
    pub(super) pool: client::ClientPool,
    pub(super) server: ServerSlot,
    pub(super) publisher: Arc<view::Publisher>,
    pub(super) events: std_mpsc::SyncSender<Event>,
    pub(super) limits: Limits,
    /// Calls the viewer's notifier on a thread of its own.
    pub(super) notifier: notify::NotifyWaker,
    pub(super) load: Arc<load::control::LoadSlot>,
    pub(super) scenario: Arc<scenario::control::ScenarioSlot>,
}

impl Actor {
    /// Reports an event, after publishing a view that already shows its
    /// effect (a viewer reading the view on the event sees them agree).
    fn emit(&self, event: Event) {
        self.publish(false);
        if self.events.try_send(event).is_err() {
            tracing::warn!("event queue full: an event for the viewer was dropped");
        }
        self.shared.mark_changed();
    }

    pub(super) async fn run(self, mut commands: mpsc::Receiver<Command>) {
        while let Some(command) = commands.recv().await {
            self.handle(command).await;
        }
    }

    fn take_server(&self) -> Option<Arc<server::ServerHandle>> {
        self.server.lock().take()
    }

    async fn handle(&self, command: Command) {
        match command {
            Command::StartServer {
                join,
                addr,
                mode,
                tls,
                upstream,
                profile,
                transport,
            } => {
                self.start_server(
                    addr,
                    (mode, profile),
                    tls.as_ref(),
                    upstream,
                    (transport, join),
                )
                .await
            }
            Command::StopServer => {
                if let Some(handle) = self.take_server() {
                    handle.stop().await;
                }
                self.emit(Event::ServerStopped);
            }
            Command::Connect {
                broadcast,
                target,
                count,
                mode,
                tls,
                profile,
                transport,
            } => {
                let this = self.clone();
                tokio::spawn(async move {
                    let event = match this
                        .pool
                        .connect(
                            target.clone(),
                            count,
                            (mode, profile, transport, broadcast),
                            tls.as_ref(),
                            this.limits,
                            this.shared.clone(),
                        )
                        .await
                    {
                        Ok(report) => Event::ConnectFinished { target, report },
                        Err(error) => Event::ConnectFailed(error),
                    };
                    this.emit(event);
                });
            }
            Command::DisconnectAll => {
                self.pool.disconnect_all();
                self.shared.mark_changed();
            }
            Command::ClearClosed => {
                self.pool.clear_closed();
                self.shared.mark_changed();
            }
            Command::SaveLog { path, format } => self.save_log(path, format),
            Command::LoadLog { path } => {
                let this = self.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::engine::render::journal_file::load(&path);
                    this.emit(Event::LogLoaded { path, result });
                });
            }
            Command::ClearLog => {
                self.shared.journal.clear();
                self.shared.stats.latency.reset();
                self.publisher.reset_latency();
                self.shared.mark_changed();
            }
            Command::SetCapture(capture) => {
                self.shared.journal.set_capture(capture);
                self.shared.mark_changed();
            }
            Command::SetJournalLimits(limits) => {
                self.shared.journal.set_limits(limits);
                self.shared.mark_changed();
            }
            Command::StartLoad { spec, capture } => self.start_load(*spec, capture),
            Command::StopLoad => {
                self.load.stop();
                self.shared.mark_changed();
            }
            Command::RunScenario { file, target } => {
                match self.scenario.start(*file, target, &self.shared) {
                    Ok(run) => {
                        let this = self.clone();
                        tokio::spawn(async move {
                            let end = run.await;
                            this.emit(Event::ScenarioFinished(end));
                        });
                    }
                    Err(refused) => self.emit(Event::ScenarioRefused(refused)),
                }
            }
            Command::StopScenario => {
                self.scenario.stop();
                self.shared.mark_changed();
            }
            // Engine::command carries these out itself, at once, and never
            // queues them.
            Command::Send { .. }
            | Command::SetRules(_)
            | Command::SetHold(_)
            | Command::Release { .. }
            | Command::PinHeld { .. }
            | Command::Inject { .. } => {
                unreachable!("Engine::command does {command:?} at once")
            }
        }
    }

    /// Starts a load run and waits for its end on a blocking thread, then
    /// reports it.
    fn start_load(&self, spec: load::LoadSpec, capture: Capture) {
        match self.load.start(spec, capture, &self.shared) {
            Ok(run) => {
                let this = self.clone();
                tokio::task::spawn_blocking(move || {
                    let outcome = this.load.finish(run.wait());
                    this.emit(Event::LoadFinished(outcome));
                });
            }
            Err(refused) => self.emit(Event::LoadRefused(refused)),
        }
    }

    async fn start_server(
        &self,
        addr: SocketAddr,
        (mode, profile): (ServerMode, Option<Arc<Profile>>),
        tls: Option<&tls::ServerTls>,
        upstream: Option<Target>,
        (transport, join): (Transport, Option<MulticastJoin>),
    ) {
        let running = self.server.lock().as_ref().map(|h| h.local_addr());
        if let Some(running) = running {
            return self.emit(Event::ServerFailed(ServerError::AlreadyRunning(running)));
        }
        let started = match transport {
            Transport::Tcp if join.is_some() => Err(ServerError::TcpMulticast),
            Transport::Tcp => {
                server::start(
                    addr,
                    (mode, profile),
                    tls,
                    upstream,
                    self.limits,
                    self.shared.clone(),
                )
                .await
            }
            Transport::Udp if tls.is_some() => Err(ServerError::UdpTls),
            Transport::Udp => {
                server::udp::start(
                    addr,
                    (mode, profile, join),
                    upstream,
                    self.limits,
                    self.shared.clone(),
                )
                .await
            }
        };
        match started {
            Ok(handle) => {
                let addr = handle.local_addr();
                let mode = handle.mode();
                *self.server.lock() = Some(Arc::new(handle));
                self.emit(Event::ServerStarted { addr, mode });
            }
            Err(error) => self.emit(Event::ServerFailed(error)),
        }
    }

    /// Saves from a snapshot on a blocking thread: no journal lock is held
    /// while writing, and no runtime worker waits on the disk.
    fn save_log(&self, path: PathBuf, format: LogFormat) {
        let snapshot = self.shared.journal.snapshot();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let progress = |done, total| this.emit(Event::SaveProgress { done, total });
            let result =
                crate::engine::render::journal_file::save(&snapshot, &path, format, progress);
            let took = started.elapsed();
            if took > SLOW_SAVE {
                tracing::info!(
                    path = %path.display(),
                    records = snapshot.len(),
                    seconds = took.as_secs_f64(),
                    "slow save"
                );
            }
            this.emit(Event::Saved { path, result });
        });
    }

    /// Builds and publishes a view of the state now.
    pub(super) fn publish(&self, force: bool) -> Arc<EngineView> {
        let server = self.server.lock().clone();
        self.publisher.publish(
            &view::Sources {
                shared: &self.shared,
                pool: &self.pool,
                server: server.as_deref(),
                limits: self.limits,
                load: self.load.view(),
                scenario: self.scenario.view(),
            },
            force,
        )
    }

    /// When something changed: publishes a view, then calls the notifier;
    /// at most every 16 ms.
    pub(super) async fn notify_loop(self) {
        loop {
            self.shared.changed().await;
            self.publish(false);
            self.notifier.wake();
            tokio::time::sleep(NOTIFY_INTERVAL).await;
        }
    }

    /// Decides the fate of held frames whose time is up, four times a second.
    pub(super) async fn expire_held(self) {
        let mut ticker = tokio::time::interval(HOLD_CHECK);
        loop {
            ticker.tick().await;
            if self.shared.relay.expire(Instant::now()) > 0 {
                self.shared.mark_changed();
            }
        }
    }

    /// Samples the frame rate once a second for the rate chart.
    pub(super) async fn sample_rates(self) {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticker.tick().await;
            self.publisher.sample_rate(self.shared.stats.total_frames());
            self.shared.mark_changed();
        }
    }
}
