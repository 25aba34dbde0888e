# Multi-stage image of the gateway. The build stage runs the same commands as
# the README (scripts/setup.sh, then a dotnet build of the solution, which
# compiles bpf/ with clang); the runtime image carries only the published
# gateway, libbpf1 and iproute2.
#
# Run it with the capabilities it needs instead of --privileged:
#   docker run --rm --network host \
#     --cap-add BPF --cap-add NET_ADMIN --cap-add PERFMON \
#     -v /run/kernel-header-gateway:/run/kernel-header-gateway \
#     kernel-header-gateway --demo --urls http://0.0.0.0:8080
# --network host lets the probe see the host's interfaces (configure
# KernelProbe:Interfaces); the /run volume lets a restarted container remove
# filters a crashed one left behind. Without the capabilities the gateway still
# proxies and logs L7, with wire.observed=false.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
COPY scripts/ scripts/
RUN scripts/setup.sh
COPY . .
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libbpf1 iproute2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/Gateway.dll"]
CMD ["--urls", "http://0.0.0.0:8080"]
