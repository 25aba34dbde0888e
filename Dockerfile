# Multi-stage image of the gateway. The build stage runs the same commands as
# the README (scripts/setup.sh, then a dotnet publish that compiles bpf/ with
# clang); the runtime image carries only the published gateway, libbpf1 and iproute2.
#
# Least privilege: the gateway runs as root (uid 0) with EVERY capability dropped
# except the three the wire view needs; it says at start which ones it holds
# ("Capabilities held: ..."). Why root-with-three and not a non-root user with file
# capabilities: docs/deploy.md.
#   docker run --rm --network host \
#     --cap-drop ALL --cap-add BPF --cap-add NET_ADMIN --cap-add PERFMON \
#     --security-opt no-new-privileges \
#     -v /run/kernel-header-gateway:/run/kernel-header-gateway \
#     kernel-header-gateway --demo --urls http://0.0.0.0:8080
# --network host lets the probe see the host's interfaces (configure
# KernelProbe:Interfaces); the /run volume lets a restarted container remove
# filters a crashed one left behind. Without the capabilities the gateway still
# proxies and logs L7, with wire.observed=false.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
COPY scripts/ scripts/
# No browser in the image: chromium is for the tests and screenshots only.
ENV SETUP_NO_BROWSER=1
RUN scripts/setup.sh
COPY . .
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libbpf1 iproute2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Root, on purpose (see above); every capability but BPF, NET_ADMIN, PERFMON is dropped at run time.
USER 0:0
EXPOSE 8080 9090
ENV Health__Urls=http://0.0.0.0:9090
ENTRYPOINT ["dotnet", "/app/Gateway.dll"]
CMD ["--urls", "http://0.0.0.0:8080"]
