namespace Gateway.Tls;

/// <summary>Where <see cref="HandshakeMessageAssembler"/> stands after a feed.</summary>
internal enum HandshakeProgress : byte
{
    /// <summary>The message is not complete yet.</summary>
    NeedMore,

    /// <summary>A whole handshake message is available.</summary>
    Message,

    /// <summary>The bytes are not a sequence of handshake records; <see cref="HandshakeMessageAssembler.Failure"/> says why.</summary>
    Failed,
}
