# The files area of the window, in English.

## File dialogs and the path prompt
files-title-save-log = Save log
files-title-open-log = Open log
files-title-content-file = Content file
files-title-save-report = Save load report
files-title-rules-file = Rules file
files-title-open-scenario = Open scenario
files-title-save-scenario = Save scenario
files-title-save-conversation = Save conversation
files-title-open-profile = Open profile
files-title-save-profile = Save profile
files-filter-jsonl-reopen = JSON Lines (can be opened again)
files-filter-text-hex = Text with hex dumps
files-filter-pcapng = pcapng for Wireshark
files-filter-jsonl = JSON Lines
files-filter-all = All files
files-filter-scenario = Scenario files (TOML)
files-filter-text = Text
files-filter-profile = Profile files (TOML)
files-action-save = Save
files-action-open = Open
files-action-use-file = Use file
files-action-load = Load
files-help-save-log = A .jsonl file can be opened again; .txt or .log is readable text with hex dumps
files-help-open-log = A JSON Lines log saved by framescope
files-help-content-file = The file's bytes become the content (at most the content limit)
files-help-save-report = The run's report as JSON, as framescope load --json writes it
files-help-rules-file = Server rules: [[rule]] tables with when and then, and a [default]
files-help-open-scenario = A scenario file (TOML), as framescope run reads it
files-help-save-editor = Where to write the editor's text (a .toml file)
files-help-save-conversation = The followed conversation as plain text, as the Follow stream window shows it
files-help-open-profile = A profile file (TOML) for the client connections to speak, as --profile reads it
files-help-edit-profile = A profile file (TOML) to edit in the Profiles tab
files-path = Path
files-path-hint = path/to/file
files-type-path-first = Type a path first
files-browse = Browse…
files-browse-hover = Choose with the system's file dialog
files-cancel = Cancel
files-cancel-hover = Close without choosing (Esc)

## Reading and writing files
files-save-cannot-start = cannot start saving: { $error }
files-save-stopped = the save stopped unexpectedly
files-cannot-read = cannot read { $path }: { $error }
files-cannot-write = cannot write { $path }: { $error }
files-job-cannot-start = cannot start the file job: { $error }
files-job-stopped = the file job stopped unexpectedly
files-read-cannot-start = cannot start reading: { $error }
files-read-stopped = the reading thread stopped
files-too-big = the file is { $size }, over the content limit of { $limit }

## Saving and opening logs
files-engine-busy = the engine is busy; try again
files-saving = saving { $done } of { $total }
files-saving-hover = Saving to { $path }
files-saved = Saved { $count } records to { $name } ({ $size })
files-save-failed = Could not save: { $error }. The log in memory is intact.
files-opening = opening { $name }
files-open-failed = Could not open: { $error }
files-bad-line = line { $line }: { $reason }
files-bad-lines-more = … and { $count } more
files-bad-lines = { $count ->
    [one] { $shown } bad line skipped
   *[other] { $shown } bad lines skipped
}
