using MudBlazor;

namespace Switchyard.Ui.Components;

/// <summary>
/// The console's theme: MudBlazor's palettes with status colours dark (light theme) or light (dark theme) enough for
/// small text to meet WCAG AA contrast, and the system font stack (no web font to fetch: it works offline).
/// </summary>
internal static class ConsoleTheme
{
    private static readonly string[] SystemFonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static readonly MudTheme Theme = new()
    {
        Typography = new Typography { Default = new DefaultTypography { FontFamily = SystemFonts } },
        PaletteLight = new PaletteLight { Success = "#2e7d32", Warning = "#8d5a00", Error = "#c62828", Info = "#1565c0" },
        PaletteDark = new PaletteDark { Success = "#81c784", Warning = "#ffb74d", Error = "#ef9a9a", Info = "#90caf9" },
    };
}
