namespace Switchyard.Protocols.Canonical;

public sealed class ChatMessage
{
    public ChatMessage(ChatRole role) => Role = role;
    public ChatRole Role { get; set; }
    public List<ContentPart> Content { get; } = [];
}

public enum ChatRole { System, User, Assistant }
