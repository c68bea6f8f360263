import { useEffect, useState } from 'preact/hooks';

let show: ((text: string, bad: boolean) => void) | null = null;

/** A short message at the bottom right (a control's outcome). */
export function showToast(text: string, bad = false): void {
  show?.(text, bad);
}

export function Toast() {
  const [msg, setMsg] = useState<{ text: string; bad: boolean } | null>(null);
  useEffect(() => {
    let timer = 0;
    show = (text, bad) => {
      setMsg({ text, bad });
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setMsg(null), bad ? 8000 : 3000);
    };
    return () => {
      show = null;
    };
  }, []);
  if (!msg) return null;
  return (
    <div class={`toast ${msg.bad ? 'bad' : ''}`} role="status">
      {msg.text}
    </div>
  );
}
