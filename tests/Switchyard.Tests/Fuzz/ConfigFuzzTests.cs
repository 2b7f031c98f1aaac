using System.Text.RegularExpressions;
using CsCheck;
using Switchyard.Config;
using Xunit;
using Xunit.Abstractions;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// Mutated config files through the loader: each either loads or is refused with a <see cref="ConfigException"/> that
/// names the file, the line and column, and — unless the YAML itself is broken — the key path; never another
/// exception, never a stack trace in the message.
/// </summary>
public sealed partial class ConfigFuzzTests(ITestOutputHelper output)
{
    private const string Seed = "4pXo3cKvR8e1";
    private const int Cases = 3000;
    private const string Source = "fuzz.yaml";

    /// <summary>Every section and most keys of the configuration reference.</summary>
    private const string Full = """
        server:
          urls: http://127.0.0.1:8080
          max_request_body: 32MB
          request_log: off
          request_log_max_size: 64MB
          log_bodies: false
          log_level: information
        auth:
          keys: [sk-sy-test]
          admin_key: ${ADMIN_KEY:-sk-admin}
        telemetry:
          otlp_endpoint: http://127.0.0.1:4318
          otlp_protocol: http/protobuf
          service_name: switchyard
        providers:
          - name: up-openai
            type: openai
            base_url: http://127.0.0.1:9101/v1
            keys: [sk-a, "${UP_KEY}", {key: sk-c, weight: 2, max_failures: 5, cooldown: 60s, enabled: true}]
            key_strategy: round_robin
            key_affinity: false
            max_failures: 3
            failure_cooldown: 60s
            big_model: gpt-4.1
            small_model: gpt-4.1-mini
            headers: {X-Org: team-a}
            connect_timeout: 10s
            first_byte_timeout: 120s
            idle_timeout: 2m
            max_tokens_field: max_completion_tokens
            max_output_tokens: 16384
            reasoning_effort: false
          - name: claude
            type: anthropic
            base_url: http://127.0.0.1:9102
            keys: [sk-ant]
            auth: header
            auth_header: X-Custom-Key
            auth_format: "Token {key}"
            default_max_tokens: 8192
            anthropic_version: 2023-06-01
          - name: azure
            type: azure-openai
            base_url: http://127.0.0.1:9103
            keys: [az-key]
            api_version: 2024-10-21
            deployments: {gpt-4o: prod-gpt4o}
          - name: gem
            type: gemini
            base_url: http://127.0.0.1:9104
            keys: [g-key]
          - name: demo
            type: mock
        routes:
          - model: gpt-4o-mini
            aliases: [mini]
            strategy: failover
            mode: transformer
            retry: {max_retries: 3, statuses: [408, 429, 500, 502, 503, 504, 529], backoff: 100ms, max_backoff: 2s, deadline: 60s}
            targets:
              - provider: up-openai
                model: gpt-4o-mini-2024-07-18
                weight: 1
                priority: 0
                patch: {max_tokens: 16384, reasoning_effort: low, drop: [temperature]}
              - provider: azure
          - model: claude-*
            strategy: weighted
            targets:
              - {provider: claude, weight: 3}
              - {provider: gem, model: gemini-2.5-flash, weight: 1}
          - model: anything
            keywords: [deepseek]
            targets: [{provider: demo}]
          - model: fallback
            default: true
            targets: [{provider: demo}]
        """;

    private static readonly string[] OddValues =
    [
        "-1", "0", "[]", "{}", "\"\"", "~", "1e308", "abc", "yes", "99999999999999999999", "${UNSET}", "\"${UNSET:-}\"",
        new string('x', 5000), "[1, [2]]", "{a: {b: c}}", "0s", "-5s", "http://", "*", "\t", "&anchor x", "*alias", "!!binary AA==", "'", "\"unterminated",
    ];

    private static readonly string[] Inserts = [":", "-", "[", "{", "\"", "'", "&", "*", "!", "%", "@", "\t", "#", "|", ">", "? "];

    internal readonly record struct LineMutation(int Line, int Kind, int Pick)
    {
        public static readonly Gen<LineMutation> Gen = CsCheck.Gen.Select(CsCheck.Gen.Int[0, 200], CsCheck.Gen.Int[0, 9], CsCheck.Gen.Int[0, 1 << 16],
            (line, kind, pick) => new LineMutation(line, kind, pick));

        public override string ToString() => $"{Kind switch
        {
            0 => "delete", 1 => "duplicate", 2 => "indent", 3 => "dedent", 4 => $"value {OddValues[Pick % OddValues.Length][..Math.Min(12, OddValues[Pick % OddValues.Length].Length)]}",
            5 => "rename key", 6 => "truncate", 7 => $"insert '{Inserts[Pick % Inserts.Length]}'", 8 => "swap with next", _ => "make a list item",
        }} at line {Line}";

        public void Apply(List<string> lines)
        {
            if (lines.Count == 0)
            {
                return;
            }
            var i = Line % lines.Count;
            var line = lines[i];
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            var indent = line.Length - line.TrimStart().Length;
            switch (Kind)
            {
                case 0:
                    lines.RemoveAt(i);
                    break;
                case 1:
                    lines.Insert(i, line);
                    break;
                case 2:
                    lines[i] = "  " + line;
                    break;
                case 3:
                    lines[i] = line.StartsWith("  ", StringComparison.Ordinal) ? line[2..] : line;
                    break;
                case 4 when colon > 0:
                    lines[i] = line[..(colon + 2)] + OddValues[Pick % OddValues.Length];
                    break;
                case 5 when colon > 0:
                    lines[i] = line[..indent] + "x_" + line[indent..];
                    break;
                case 6:
                    lines[i] = line[..(Pick % (line.Length + 1))];
                    lines.RemoveRange(i + 1, lines.Count - i - 1);
                    break;
                case 7:
                    var at = Pick % (line.Length + 1);
                    lines[i] = line[..at] + Inserts[Pick % Inserts.Length] + line[at..];
                    break;
                case 8 when i + 1 < lines.Count:
                    (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]);
                    break;
                case 9:
                    lines[i] = line[..indent] + "- " + line[indent..];
                    break;
            }
        }
    }

    private static readonly Gen<LineMutation[]> Mutations = LineMutation.Gen.Array[1, 3];

    private static string Mutate(LineMutation[] mutations)
    {
        var lines = Full.Split('\n').ToList();
        foreach (var m in mutations)
        {
            m.Apply(lines);
        }
        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"^fuzz\.yaml:\d+:\d+: (?<syntax>invalid YAML: )?(?<section>[^\[.:]+)?")]
    private static partial Regex Located();

    /// <summary>"loaded", "refused", or what is wrong with the refusal.</summary>
    internal static string Load(string yaml)
    {
        try
        {
            ConfigLoader.Parse(yaml, Source, name => name == "UP_KEY" ? "sk-from-env" : null);
            return "loaded";
        }
        catch (ConfigException ex)
        {
            var m = Located().Match(ex.Message);
            if (!m.Success)
            {
                return $"not located (file:line:column): {ex.Message}";
            }
            // Not a syntax error: the key path comes first, and it starts at a top-level key of this file (or a missing required one).
            var section = m.Groups["section"].Value;
            if (!m.Groups["syntax"].Success && section is not ("providers" or "routes") && !ex.Message.Contains(": unknown key '", StringComparison.Ordinal)
                && (section.Length == 0 || !yaml.Split('\n').Any(l => l.StartsWith(section + ":", StringComparison.Ordinal))))
            {
                return $"names no key path: {ex.Message}";
            }
            return ex.Message.Contains("   at ", StringComparison.Ordinal) || ex.Message.Contains("Exception", StringComparison.Ordinal)
                ? $"a stack trace or exception name in the message: {ex.Message}"
                : "refused";
        }
        catch (Exception ex)
        {
            return $"escaped: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
    }

    [Fact]
    public void The_unmutated_config_loads()
    {
        Assert.Equal("loaded", Load(Full));
    }

    [Fact]
    public void Mutated_configs_load_or_are_refused_naming_file_line_and_key()
    {
        var outcomes = new Dictionary<string, int>();
        FixedSeed.Run(Mutations, m =>
        {
            var outcome = Load(Mutate(m));
            outcomes[outcome is "loaded" or "refused" ? outcome : "wrong"] = outcomes.GetValueOrDefault(outcome is "loaded" or "refused" ? outcome : "wrong") + 1;
            return outcome is "loaded" or "refused";
        }, Seed, Cases, m => $"{string.Join(", ", m)} → {Load(Mutate(m))}");
        output.WriteLine($"{Cases} configs: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
    }
}
