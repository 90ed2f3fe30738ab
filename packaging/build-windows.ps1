# Build the Windows installer: the PyInstaller bundle, then Inno Setup 6.
# Run in PowerShell from the repository root, with Python 3.11+ and Inno
# Setup 6 installed (iscc.exe on PATH or in its default folder):
#   powershell -ExecutionPolicy Bypass -File packaging\build-windows.ps1
# The installer is dist\trayapp-VERSION-setup.exe.
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)

if (-not (Test-Path .venv)) { py -3 -m venv .venv }
$python = ".venv\Scripts\python.exe"
& $python -m pip install -q -e ".[test]"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
& $python -m PyInstaller --noconfirm --distpath dist --workpath build packaging\trayapp.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
& dist\trayapp\trayapp-cli.exe self-test
if ($LASTEXITCODE -ne 0) { throw "the bundle's self-test failed" }

$version = & $python -c "import trayapp; print(trayapp.__version__)"
$iscc = Get-Command iscc.exe -ErrorAction SilentlyContinue
if ($iscc) { $iscc = $iscc.Source } else { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" packaging\windows\trayapp.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Write-Host "Built dist\trayapp-$version-setup.exe"
