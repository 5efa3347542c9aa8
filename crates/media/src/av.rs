//! Sound and video, through Debian's `ffmpeg` and `ffprobe` run as sandboxed subprocesses:
//! the one maintained decoder for every format people record (Opus in WebM from browsers,
//! AAC in MP4 from phones, MP3 …), with no codec library linked into Hybrid. Each run is
//! held to a wall-clock limit (killed past it), a CPU-time and an address-space limit
//! (`prlimit`), reads only the one file it is given (the `file` protocol and a list of
//! container formats: no playlist or concat file can make it open another path or a URL),
//! and never reads standard input.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::MediaError;

/// The containers opened (ffmpeg's demuxer names): what browsers and phones record.
const FORMATS: &str = "mov,matroska,webm,ogg,mp3,wav,flac,aac";
/// Bars of a voice message's waveform.
pub const WAVEFORM_BARS: usize = 64;
/// Samples a second read for the waveform, and the longest stretch read (10 minutes).
const WAVEFORM_RATE: u32 = 8000;
const WAVEFORM_SECONDS: u32 = 600;

/// Where the tools are and what a run may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvLimits {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// Wall-clock time of one run.
    pub time: Duration,
    /// Address space of one run, in bytes.
    pub memory: u64,
}

impl Default for AvLimits {
    fn default() -> Self {
        AvLimits {
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            time: Duration::from_secs(60),
            memory: 1 << 30,
        }
    }
}

/// What a sound or video file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// ffprobe's name of the container (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `ogg` …).
    pub container: String,
    pub duration_ms: u64,
    pub has_audio: bool,
    /// The first video stream's size, if there is one (a cover picture in an MP3 is not).
    pub video: Option<(u32, u32)>,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct FormatJson {
    format_name: Option<String>,
    duration: Option<String>,
}

/// Duration and streams of the file at `path`.
pub fn probe(path: &Path, limits: &AvLimits) -> Result<Probe, MediaError> {
    let output = run(
        &limits.ffprobe,
        &["-v", "error", "-print_format", "json", "-show_format", "-show_streams"],
        path,
        &[],
        limits,
    )?;
    let json: ProbeJson =
        serde_json::from_slice(&output).map_err(|e| MediaError::Corrupt(format!("ffprobe's answer: {e}")))?;
    let container = json
        .format
        .as_ref()
        .and_then(|f| f.format_name.clone())
        .unwrap_or_default();
    let seconds: f64 = json
        .format
        .and_then(|f| f.duration)
        .and_then(|d| d.parse().ok())
        .filter(|d: &f64| d.is_finite() && *d >= 0.0)
        .ok_or_else(|| MediaError::Corrupt("no duration".into()))?;
    let kind = |stream: &StreamJson, wanted: &str| stream.codec_type.as_deref() == Some(wanted);
    let video = json
        .streams
        .iter()
        .find(|s| kind(s, "video") && s.disposition.attached_pic == 0)
        .and_then(|s| Some((s.width?, s.height?)));
    Ok(Probe {
        container,
        duration_ms: (seconds * 1000.0).round() as u64,
        has_audio: json.streams.iter().any(|s| kind(s, "audio")),
        video,
    })
}

/// The first frame of the video at `path`, as a JPEG (for `process_image`).
pub fn poster(path: &Path, limits: &AvLimits) -> Result<Vec<u8>, MediaError> {
    let frame = run(
        &limits.ffmpeg,
        &["-v", "error", "-nostdin"],
        path,
        &["-frames:v", "1", "-f", "image2pipe", "-c:v", "mjpeg", "pipe:1"],
        limits,
    )?;
    if frame.is_empty() {
        return Err(MediaError::Corrupt("no video frame".into()));
    }
    Ok(frame)
}

/// The sound or video at `path` copied into the file `out` without its metadata: tags (a
/// phone's location among them), chapters, and streams that are neither sound nor pictures
/// (timed metadata tracks). The sound and pictures are copied as they are, not re-encoded,
/// with their rotation; the container stays the one it came in (`container`, from [`probe`],
/// and `content_type` to tell QuickTime from MP4 and WebM from Matroska).
pub fn strip_metadata(
    path: &Path,
    out: &Path,
    container: &str,
    content_type: &str,
    limits: &AvLimits,
) -> Result<(), MediaError> {
    let muxer = muxer(container, content_type).ok_or(MediaError::Unsupported)?;
    let out = out
        .to_str()
        .ok_or_else(|| MediaError::Unavailable("a temporary path that is not UTF-8".into()))?;
    #[rustfmt::skip]
    let after = [
        "-map", "0:v?", "-map", "0:a?", "-c", "copy",
        "-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1",
        // no encoder name written in place of what was removed
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-f", muxer, "-y", out,
    ];
    run(&limits.ffmpeg, &["-v", "error", "-nostdin"], path, &after, limits).map(drop)
}

/// The muxer that writes the container a file came in.
fn muxer(container: &str, content_type: &str) -> Option<&'static str> {
    let has = |name: &str| container.split(',').any(|c| c == name);
    Some(if has("mov") {
        if content_type == "video/quicktime" {
            "mov"
        } else {
            "mp4"
        }
    } else if has("matroska") {
        if content_type.ends_with("/webm") {
            "webm"
        } else {
            "matroska"
        }
    } else if has("ogg") {
        "ogg"
    } else if has("mp3") {
        "mp3"
    } else if has("wav") {
        "wav"
    } else if has("flac") {
        "flac"
    } else if has("aac") {
        "adts"
    } else {
        return None;
    })
}

/// The loudness of the sound at `path` in [`WAVEFORM_BARS`] bars, each 0 to 100 (its peak
/// over that stretch, relative to the loudest).
pub fn waveform(path: &Path, limits: &AvLimits) -> Result<Vec<u8>, MediaError> {
    let rate = WAVEFORM_RATE.to_string();
    let seconds = WAVEFORM_SECONDS.to_string();
    let pcm = run(
        &limits.ffmpeg,
        &["-v", "error", "-nostdin"],
        path,
        &["-vn", "-ac", "1", "-ar", &rate, "-t", &seconds, "-f", "s16le", "pipe:1"],
        limits,
    )?;
    let samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Ok(bars(&samples))
}

/// Peaks of `samples` in [`WAVEFORM_BARS`] equal stretches, scaled to 0–100.
fn bars(samples: &[i16]) -> Vec<u8> {
    if samples.is_empty() {
        return vec![0; WAVEFORM_BARS];
    }
    let per_bar = samples.len().div_ceil(WAVEFORM_BARS);
    let mut peaks: Vec<u32> = samples
        .chunks(per_bar)
        .map(|chunk| chunk.iter().map(|s| u32::from(s.unsigned_abs())).max().unwrap_or(0))
        .collect();
    peaks.resize(WAVEFORM_BARS, 0);
    let loudest = peaks.iter().copied().max().unwrap_or(0).max(1);
    peaks.iter().map(|&p| (p * 100 / loudest) as u8).collect()
}

/// Runs `tool` on the file at `path` (`before` its input, `after` it), sandboxed; its
/// standard output.
fn run(tool: &Path, before: &[&str], path: &Path, after: &[&str], limits: &AvLimits) -> Result<Vec<u8>, MediaError> {
    let cpu_seconds = limits.time.as_secs().max(1);
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={}", limits.memory))
        .arg(format!("--cpu={cpu_seconds}"))
        .arg("--")
        .arg(tool)
        .args(before)
        .args(["-protocol_whitelist", "file", "-format_whitelist", FORMATS, "-i"])
        .arg(path)
        .args(after)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| MediaError::Unavailable(format!("{} could not be started: {e}", tool.display())))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    // both pipes drained while the tool runs, so it never blocks on a full one
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stderr).take(4096).read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limits.time;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(MediaError::TooLarge(format!(
                    "it took longer than {} s to read",
                    limits.time.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(MediaError::Unavailable(format!("waiting for {}: {e}", tool.display()))),
        }
    };
    let output = reader
        .join()
        .map_err(|_| MediaError::Unavailable("reading the tool's output".into()))?
        .map_err(|e| MediaError::Unavailable(format!("reading the tool's output: {e}")))?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        let reason = errors.lines().next().unwrap_or("no reason given").trim().to_owned();
        return Err(MediaError::Corrupt(format!("it could not be read ({reason})")));
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::generated;

    #[test]
    fn a_voice_message_has_a_duration_and_a_waveform() {
        let dir = tempfile::tempdir().unwrap();
        // one second of silence, then a second of a tone: the waveform rises half-way
        let voice = generated(
            dir.path(),
            "voice.webm",
            &[
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=48000:cl=mono:d=1",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=1",
                "-filter_complex",
                "[0][1]concat=n=2:v=0:a=1",
                "-c:a",
                "libopus",
            ],
        );
        let limits = AvLimits::default();
        let probe = probe(&voice, &limits).unwrap();
        assert!((1900..=2100).contains(&probe.duration_ms), "{probe:?}");
        assert!(probe.has_audio && probe.video.is_none(), "{probe:?}");
        let bars = waveform(&voice, &limits).unwrap();
        assert_eq!(bars.len(), WAVEFORM_BARS);
        assert!(bars[..28].iter().all(|&b| b < 10), "silence first: {bars:?}");
        assert!(bars[36..].iter().all(|&b| b > 50), "then the tone: {bars:?}");
    }

    #[test]
    fn a_video_has_a_size_and_a_poster_frame() {
        let dir = tempfile::tempdir().unwrap();
        let clip = generated(
            dir.path(),
            "clip.mp4",
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=10:duration=2",
                "-pix_fmt",
                "yuv420p",
            ],
        );
        let limits = AvLimits::default();
        let probe = probe(&clip, &limits).unwrap();
        assert_eq!(probe.video, Some((320, 240)));
        assert!((1900..=2100).contains(&probe.duration_ms), "{probe:?}");
        let poster = poster(&clip, &limits).unwrap();
        let processed = crate::process_image(&poster, &crate::Limits::default(), crate::Shape::AsIs).unwrap();
        assert_eq!((processed.width, processed.height), (320, 240));
    }

    #[test]
    fn metadata_leaves_a_video_and_a_song_and_their_content_stays() {
        let dir = tempfile::tempdir().unwrap();
        let location = "+48.8584+002.2945/";
        let video = vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10:duration=1",
            "-pix_fmt",
            "yuv420p",
        ];
        let cases = [
            ("clip.mp4", "video/mp4", video.clone()),
            ("clip.mov", "video/quicktime", video),
            (
                "song.mp3",
                "audio/mpeg",
                vec!["-f", "lavfi", "-i", "sine=frequency=440:duration=1"],
            ),
            (
                "voice.webm",
                "video/webm",
                vec!["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libopus"],
            ),
        ];
        let limits = AvLimits::default();
        for (name, content_type, mut args) in cases {
            args.extend([
                "-metadata",
                "location=+48.8584+002.2945/",
                "-metadata",
                "title=Where I live",
            ]);
            let input = generated(dir.path(), name, &args);
            let tags = |path: &Path| String::from_utf8_lossy(&std::fs::read(path).unwrap()).contains("Where I live");
            assert!(tags(&input), "{name}: the fixture has its tags");
            let before = probe(&input, &limits).unwrap();
            let out = dir.path().join(format!("clean-{name}"));
            strip_metadata(&input, &out, &before.container, content_type, &limits).unwrap();
            let bytes = std::fs::read(&out).unwrap();
            assert!(!tags(&out), "{name}: the title is gone");
            assert!(
                !bytes.windows(location.len()).any(|w| w == location.as_bytes()),
                "{name}: the location is gone"
            );
            let after = probe(&out, &limits).unwrap();
            assert_eq!(
                (&after.container, after.video, after.has_audio),
                (&before.container, before.video, before.has_audio),
                "{name}"
            );
            assert!(
                after.duration_ms.abs_diff(before.duration_ms) < 100,
                "{name}: {after:?}"
            );
        }
        assert_eq!(muxer("mov,mp4,m4a,3gp,3g2,mj2", "video/quicktime"), Some("mov"));
        assert_eq!(muxer("matroska,webm", "video/x-matroska"), Some("matroska"));
        assert_eq!(muxer("avi", "video/x-msvideo"), None);
    }

    #[test]
    fn a_playlist_cannot_make_ffmpeg_read_another_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.txt");
        std::fs::write(&secret, "not for you").unwrap();
        let playlist = dir.path().join("list.m3u8");
        std::fs::write(&playlist, format!("#EXTM3U\n#EXTINF:1,\n{}\n", secret.display())).unwrap();
        let refused = probe(&playlist, &AvLimits::default()).unwrap_err();
        assert!(matches!(refused, MediaError::Corrupt(_)), "{refused:?}");
    }

    #[test]
    fn a_run_past_its_time_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let long = generated(
            dir.path(),
            "long.wav",
            &["-f", "lavfi", "-i", "sine=frequency=440:duration=600"],
        );
        let limits = AvLimits {
            time: Duration::from_millis(1),
            ..AvLimits::default()
        };
        let started = Instant::now();
        assert!(matches!(waveform(&long, &limits), Err(MediaError::TooLarge(_))));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_missing_tool_is_said_plainly() {
        let limits = AvLimits {
            ffprobe: "/nonexistent/ffprobe".into(),
            ..AvLimits::default()
        };
        let refused = probe(Path::new("/dev/null"), &limits).unwrap_err();
        assert!(
            matches!(refused, MediaError::Corrupt(_) | MediaError::Unavailable(_)),
            "{refused:?}"
        );
    }

    #[test]
    fn bars_follow_the_loudness() {
        assert_eq!(bars(&[]), vec![0; WAVEFORM_BARS]);
        let rising: Vec<i16> = (0..6400).map(|i| (i * 5) as i16).collect();
        let bars = bars(&rising);
        assert_eq!(bars[WAVEFORM_BARS - 1], 100);
        assert!(bars.windows(2).all(|w| w[0] <= w[1]), "{bars:?}");
    }
}
