; Inno Setup 6 script: a per-user trayapp install (no administrator rights).
; Build the bundle first (pyinstaller packaging\trayapp.spec), then compile
; from the repository root: iscc /DAppVersion=0.1.0 packaging\windows\trayapp.iss
; packaging\build-windows.ps1 does both.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "trayapp"
#define AppExe "trayapp.exe"
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"

[Setup]
AppId={{5C1E7A52-3B8D-4E0F-9A61-2D7C4B9E8F13}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
; Per user: {autopf} is %LOCALAPPDATA%\Programs, and HKCU is written.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile=..\..\assets\icons\trayapp.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Close a running trayapp before files are replaced or removed.
CloseApplications=yes

[Languages]
Name: "italian"; MessagesFile: "compiler:Languages\Italian.isl"

[Tasks]
Name: "autostart"; Description: "Avvia all'accesso"; GroupDescription: "Avvio:"

[Files]
Source: "..\..\dist\trayapp\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "tray"
Name: "{group}\Disinstalla {#AppName}"; Filename: "{uninstallexe}"

[Registry]
; The same value "trayapp autostart on" and the rubrica's setting write.
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#AppName}"; \
  ValueData: """{app}\{#AppExe}"" tray"; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "tray"; Description: "Avvia {#AppName}"; \
  Flags: nowait postinstall skipifsilent

[Code]
// The Run value may also have been set later from trayapp itself, without
// the task: remove it on uninstall either way. The user's data (index,
// configuration, logs) and the keyring entries stay.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, '{#RunKey}', '{#AppName}');
end;
