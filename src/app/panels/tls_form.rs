//! The TLS options of the server and client panels: a checkbox, and its
//! options in a collapsible, remembered with the settings as typed and
//! turned into the engine's settings when the server starts or Connect is
//! pressed.

use std::path::PathBuf;

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::engine::tls::{
    ClientTls, Fingerprint, Identity, MinVersion, ServerCertificate, ServerTls, Verification,
};

use crate::app::i18n::{tr, tr_with};

/// The server's TLS form, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerTlsForm {
    /// Serve TLS.
    pub enabled: bool,
    /// Use the certificate and key files below instead of generating one.
    pub use_files: bool,
    /// The certificate chain file (PEM).
    pub cert: String,
    /// The key file (PEM).
    pub key: String,
    /// A CA file that client certificates must chain to; empty asks for none.
    pub client_ca: String,
    /// ALPN protocols, comma-separated.
    pub alpn: String,
    /// The oldest version accepted.
    pub min_version: MinVersion,
}

/// How the client checks the server, as picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VerifyChoice {
    /// The system's roots.
    #[default]
    System,
    /// A CA file.
    CaFile,
    /// A pinned fingerprint.
    Pin,
    /// Any certificate.
    Insecure,
}

/// The client's TLS form, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientTlsForm {
    /// Connect with TLS.
    pub enabled: bool,
    /// How the server's certificate is checked.
    pub verify: VerifyChoice,
    /// The CA file, for [`VerifyChoice::CaFile`].
    pub ca: String,
    /// The SHA-256 fingerprint, for [`VerifyChoice::Pin`].
    pub pin: String,
    /// The server name to send (SNI); empty uses the target's host.
    pub sni: String,
    /// A client certificate file (PEM); empty sends none.
    pub cert: String,
    /// The client certificate's key file (PEM).
    pub key: String,
    /// ALPN protocols, comma-separated.
    pub alpn: String,
}

fn protocols(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn path(text: &str) -> Option<PathBuf> {
    let text = text.trim();
    (!text.is_empty()).then(|| PathBuf::from(text))
}

/// Both files, or neither; one alone is a mistake worth a message (the
/// message `one_alone`, which says whose files they are).
fn identity(cert: &str, key: &str, one_alone: &str) -> Result<Option<Identity>, String> {
    match (path(cert), path(key)) {
        (Some(cert), Some(key)) => Ok(Some(Identity { cert, key })),
        (None, None) => Ok(None),
        _ => Err(tr(one_alone)),
    }
}

impl ServerTlsForm {
    /// The engine's settings; `None` when TLS is off.
    pub fn settings(&self) -> Result<Option<ServerTls>, String> {
        if !self.enabled {
            return Ok(None);
        }
        let certificate = if self.use_files {
            match identity(&self.cert, &self.key, "server-tls-both-server-files")? {
                Some(files) => ServerCertificate::Files(files),
                None => return Err(tr("server-tls-server-files")),
            }
        } else {
            ServerCertificate::Generated
        };
        Ok(Some(ServerTls {
            certificate,
            client_ca: path(&self.client_ca),
            alpn: protocols(&self.alpn),
            min_version: self.min_version,
            ..ServerTls::default()
        }))
    }

    /// The checkbox and, when ticked, its options; disabled while running.
    pub fn ui(&mut self, ui: &mut Ui, running: bool) {
        ui.add_enabled_ui(!running, |ui| {
            ui.checkbox(&mut self.enabled, tr("server-tls-serve"))
                .on_hover_text(tr("server-tls-serve-hover"))
                .on_disabled_hover_text(tr("server-tls-serve-locked"));
            if !self.enabled {
                return;
            }
            egui::CollapsingHeader::new(tr("server-tls-server-options"))
                .id_salt("server_tls_options")
                .show(ui, |ui| {
                    ui.radio_value(&mut self.use_files, false, tr("server-tls-generate"))
                        .on_hover_text(tr("server-tls-generate-hover"));
                    ui.radio_value(&mut self.use_files, true, tr("server-tls-files"));
                    egui::Grid::new("server_tls_grid")
                        .num_columns(2)
                        .show(ui, |ui| {
                            if self.use_files {
                                text_row(
                                    ui,
                                    &tr("server-tls-certificate"),
                                    &mut self.cert,
                                    "cert.pem",
                                    "server_tls_cert",
                                );
                                text_row(
                                    ui,
                                    &tr("server-tls-key"),
                                    &mut self.key,
                                    "key.pem",
                                    "server_tls_key",
                                );
                            }
                            text_row(
                                ui,
                                &tr("server-tls-client-ca"),
                                &mut self.client_ca,
                                &tr("server-tls-client-ca-hint"),
                                "server_tls_client_ca",
                            );
                            text_row(
                                ui,
                                "ALPN",
                                &mut self.alpn,
                                &tr("server-tls-alpn-hint"),
                                "server_tls_alpn",
                            );
                            ui.label(tr("server-tls-min-version"));
                            ui.horizontal(|ui| {
                                for version in MinVersion::ALL {
                                    ui.radio_value(
                                        &mut self.min_version,
                                        version,
                                        format!("TLS {}", version.name()),
                                    );
                                }
                            });
                            ui.end_row();
                        });
                });
        });
    }
}

impl ClientTlsForm {
    /// The engine's settings; `None` when TLS is off. `embedded` is the
    /// certificate of this window's own server when the target is that
    /// server: its certificate is self-signed, so under the default choice
    /// (the system's roots) it is trusted by its fingerprint instead.
    pub fn settings(&self, embedded: Option<Fingerprint>) -> Result<Option<ClientTls>, String> {
        if !self.enabled {
            return Ok(None);
        }
        let verification = match (self.verify, embedded) {
            (VerifyChoice::System, Some(embedded)) => Verification::Pin(embedded),
            (VerifyChoice::System, None) => Verification::System,
            (VerifyChoice::CaFile, _) => {
                Verification::CaFile(path(&self.ca).ok_or_else(|| tr("server-tls-ca-needed"))?)
            }
            (VerifyChoice::Pin, _) => Verification::Pin(self.pin.parse::<Fingerprint>()?),
            (VerifyChoice::Insecure, _) => Verification::Insecure,
        };
        let sni = self.sni.trim();
        Ok(Some(ClientTls {
            verification,
            sni: (!sni.is_empty()).then(|| sni.to_owned()),
            identity: identity(&self.cert, &self.key, "server-tls-both-client-files")?,
            alpn: protocols(&self.alpn),
            ..ClientTls::default()
        }))
    }

    /// The checkbox and, when ticked, its options; the warning for
    /// "accept any certificate" stays visible while it is picked, and a
    /// note says when the embedded server's certificate is trusted by its
    /// fingerprint (see [`Self::settings`]).
    pub fn ui(&mut self, ui: &mut Ui, embedded: Option<Fingerprint>) {
        ui.checkbox(&mut self.enabled, tr("server-tls-connect"))
            .on_hover_text(tr("server-tls-connect-hover"));
        if !self.enabled {
            return;
        }
        egui::CollapsingHeader::new(tr("server-tls-client-options"))
            .id_salt("client_tls_options")
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr("server-tls-trust"));
                    ui.radio_value(
                        &mut self.verify,
                        VerifyChoice::System,
                        tr("server-tls-system-roots"),
                    );
                    ui.radio_value(
                        &mut self.verify,
                        VerifyChoice::CaFile,
                        tr("server-tls-ca-file"),
                    );
                    ui.radio_value(&mut self.verify, VerifyChoice::Pin, tr("server-tls-pinned"));
                    ui.radio_value(
                        &mut self.verify,
                        VerifyChoice::Insecure,
                        tr("server-tls-any"),
                    );
                });
                egui::Grid::new("client_tls_grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        match self.verify {
                            VerifyChoice::CaFile => text_row(
                                ui,
                                &tr("server-tls-ca-file"),
                                &mut self.ca,
                                "ca.pem",
                                "client_tls_ca",
                            ),
                            VerifyChoice::Pin => text_row(
                                ui,
                                &tr("server-tls-pin"),
                                &mut self.pin,
                                &tr("server-tls-pin-hint"),
                                "client_tls_pin",
                            ),
                            _ => {}
                        }
                        text_row(
                            ui,
                            "SNI",
                            &mut self.sni,
                            &tr("server-tls-sni-hint"),
                            "client_tls_sni",
                        );
                        text_row(
                            ui,
                            &tr("server-tls-certificate"),
                            &mut self.cert,
                            &tr("server-tls-client-cert-hint"),
                            "client_tls_cert",
                        );
                        text_row(
                            ui,
                            &tr("server-tls-key"),
                            &mut self.key,
                            &tr("server-tls-client-key-hint"),
                            "client_tls_key",
                        );
                        text_row(
                            ui,
                            "ALPN",
                            &mut self.alpn,
                            &tr("server-tls-alpn-hint"),
                            "client_tls_alpn",
                        );
                    });
            });
        // Outside the collapsible, so it shows whether or not it is open.
        if let (VerifyChoice::System, Some(embedded)) = (self.verify, embedded) {
            ui.colored_label(
                crate::app::style::ok_color(ui.visuals()),
                tr("server-tls-embedded-trusted"),
            )
            .on_hover_text(tr_with(
                "server-tls-embedded-hover",
                &[("fingerprint", embedded.to_string().into())],
            ));
        }
        if self.verify == VerifyChoice::Insecure {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                tr("server-tls-insecure-warning"),
            );
        }
        if let Err(error) = self.settings(embedded) {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }
}

fn text_row(ui: &mut Ui, label: &str, text: &mut String, hint: &str, id: &str) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .id_salt(id)
            .desired_width(220.0)
            .hint_text(hint),
    )
    .labelled_by(label.id);
    ui.end_row();
}

/// The server's fingerprint, with a button that copies it.
pub fn fingerprint_ui(ui: &mut Ui, fingerprint: Fingerprint) {
    let text = fingerprint.to_string();
    ui.horizontal_wrapped(|ui| {
        ui.label("TLS · SHA-256");
        ui.add(egui::Label::new(egui::RichText::new(&text).monospace()).wrap())
            .on_hover_text(tr("server-tls-fingerprint-hover"));
        if ui
            .small_button(tr("server-tls-copy"))
            .on_hover_text(tr("server-tls-copy-hover"))
            .clicked()
        {
            ui.ctx().copy_text(text.clone());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_become_settings_or_say_what_is_missing() {
        assert_eq!(ServerTlsForm::default().settings(), Ok(None));
        let server = ServerTlsForm {
            enabled: true,
            alpn: " h2, ,x ".into(),
            ..ServerTlsForm::default()
        };
        let settings = server.settings().unwrap().unwrap();
        assert_eq!(settings.certificate, ServerCertificate::Generated);
        assert_eq!(settings.alpn, ["h2", "x"]);
        let files = ServerTlsForm {
            use_files: true,
            cert: "c.pem".into(),
            ..server
        };
        assert!(files.settings().unwrap_err().contains("key"));

        let client = ClientTlsForm {
            enabled: true,
            verify: VerifyChoice::Pin,
            pin: "nope".into(),
            ..ClientTlsForm::default()
        };
        assert!(client.settings(None).unwrap_err().contains("fingerprint"));
        let pin = Fingerprint::of(b"x");
        let client = ClientTlsForm {
            pin: pin.to_string(),
            ..client
        };
        let settings = client.settings(None).unwrap().unwrap();
        assert_eq!(settings.verification, Verification::Pin(pin));
        assert_eq!(settings.sni, None);
    }

    #[test]
    fn the_embedded_server_is_trusted_by_its_fingerprint_unless_another_choice_was_made() {
        let embedded = Fingerprint::of(b"the window's server");
        let system = ClientTlsForm {
            enabled: true,
            ..ClientTlsForm::default()
        };
        let verification =
            |form: &ClientTlsForm, embedded| form.settings(embedded).unwrap().unwrap().verification;
        assert_eq!(verification(&system, None), Verification::System);
        assert_eq!(
            verification(&system, Some(embedded)),
            Verification::Pin(embedded)
        );
        let insecure = ClientTlsForm {
            verify: VerifyChoice::Insecure,
            ..system.clone()
        };
        assert_eq!(
            verification(&insecure, Some(embedded)),
            Verification::Insecure
        );
        let pinned = Fingerprint::of(b"another");
        let pin = ClientTlsForm {
            verify: VerifyChoice::Pin,
            pin: pinned.to_string(),
            ..system
        };
        assert_eq!(
            verification(&pin, Some(embedded)),
            Verification::Pin(pinned)
        );
    }
}
