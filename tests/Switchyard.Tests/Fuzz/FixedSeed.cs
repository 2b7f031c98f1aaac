using CsCheck;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// A fuzz run that is the same on every machine and every CI run: <paramref name="cases"/> cases drawn in order from one
/// fixed PCG seed. When one fails, CsCheck takes over from that case's own seed to shrink it, so the failure names the
/// smallest case it found and the seed that replays it (<c>Gen.Sample(…, seed: "…")</c>).
/// </summary>
internal static class FixedSeed
{
    public const string Inbound = "1xn1HwIbwfUS";

    public static void Run<T>(Gen<T> gen, Func<T, bool> ok, string seed, int cases, Func<T, string> print)
    {
        foreach (var (i, caseSeed, value) in Draw(gen, seed, cases))
        {
            if (!ok(value))
            {
                gen.Sample(ok, seed: caseSeed, iter: 3000, threads: 1, print: print); // throws with the shrunk case
                throw new Xunit.Sdk.XunitException($"case {i} of seed {seed} (its own seed {caseSeed}) failed: {print(value)}");
            }
        }
    }

    /// <summary>The cases of a fixed seed in order, each with the seed that replays it alone.</summary>
    public static IEnumerable<(int Index, string Seed, T Value)> Draw<T>(Gen<T> gen, string seed, int cases)
    {
        var pcg = PCG.Parse(seed);
        for (var i = 0; i < cases; i++)
        {
            var caseSeed = pcg.ToString();
            yield return (i, caseSeed, gen.Generate(pcg, null, out _));
        }
    }
}
