using System.Data.Common;

namespace Switchyard.Storage;

/// <summary>Parameters for statements both dialects run (each takes <c>@name</c>).</summary>
internal static class DbCommands
{
    /// <summary>One parameter per column, named <c>@column</c>, in order: a statement run once per row sets their values.</summary>
    public static DbParameter[] AddParameters(this DbCommand command, IEnumerable<string> columns) => [.. columns.Select(c => command.AddParameter("@" + c, null))];

    public static DbParameter AddParameter(this DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
        return p;
    }
}
